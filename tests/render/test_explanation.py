"""laro_kb.render.explanation: explanations as text trees, Markdown and JSON, checked against tests/golden/.

Regenerate after a deliberate change with: python -m pytest --regen-golden (then review the diff).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from laro_kb.render.explanation import RENDERERS, explanation_dict, markdown_escape

from ..conftest import EXAMPLES

CASES = [("nsclc-missing-ntrk.json", None), ("hematologic-malignancy.json", None),
         ("pediatric-solid-tumor.yaml", ["solid_tumors.fda"]), ("nsclc-first-line.json", ["nsclc.3b"]),
         ("biliary-first-line.yaml", ["biliary.4"])]
SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("example, pathways", CASES)
def test_explanations_match_their_golden_files(kb, golden, fmt, example, pathways):
    e = kb.explain(EXAMPLES / example, pathways)
    golden(f"why-{example}.{SUFFIX[fmt]}", RENDERERS[fmt](e, 3) + "\n")


def test_every_text_line_carries_a_citation(kb):
    text = RENDERERS["text"](kb.explain(EXAMPLES / "nsclc-missing-ntrk.json"), 4)
    for line in text.splitlines()[1:]:
        bracketed = line.rstrip().endswith("]") and any(s in line for s in ("; NCCN ref", "; FDA label", "; policy"))
        header = any(s in line for s in ("NCCN Guidelines, policy reference", "FDA label, policy reference",
                                         "the policy itself"))
        assert bracketed or header, line


def test_depth_4_shows_the_kb_rules_with_file_and_line(kb, golden):
    text = RENDERERS["text"](kb.explain(EXAMPLES / "nsclc-first-line.json", ["nsclc.3a"]), 4)
    assert "by rule logic.dl:" in text
    golden("why-nsclc-first-line.json-depth4.txt", text + "\n")


def test_the_markdown_header_is_the_kbs_policy_fact(kb):
    """The title, version and effective date come from the kb's policy/3 (kb/references.dl), not from the renderer."""
    from laro_kb.knowledge.pathways import Policy
    e = kb.explain(EXAMPLES / "renewal.json")
    assert e.policy == kb.policy == Policy("Larotrectinib (Vitrakvi®)", "1.0", "2025-08-28")
    head = RENDERERS["markdown"](e).splitlines()
    assert (head[0], head[4]) == ("# Larotrectinib (Vitrakvi®) coverage determination",
                                  "- **Policy:** Larotrectinib (Vitrakvi®), version 1.0, effective 8/28/2025")
    amended = RENDERERS["markdown"](replace(e, policy=Policy("Larotrectinib (Vitrakvi®)", "1.1", "2026-02-01")))
    assert amended.splitlines()[4] == "- **Policy:** Larotrectinib (Vitrakvi®), version 1.1, effective 2/1/2026"


def test_the_json_is_versioned_and_carries_the_trace_at_depth_4(kb):
    d = explanation_dict(kb.explain(EXAMPLES / "nsclc-first-line.json", ["nsclc.3a"]), 4)
    assert d["schema"] == "laro-kb/explanation/1"
    age = next(c for c in d["pathways"][0]["criteria"] if c["criterion"] == "age.at_least_18")
    assert age["comparisons"] == ["58 >= 18"] and age["trace"]["rule"].startswith("logic.dl:")
    json.dumps(d)


# -- case-supplied strings are text in Markdown, and in the HTML a reader's tool makes of it ----------------------
HOSTILE_IDS = ["<script>alert(1)</script>", "[click here](https://evil.example/login)",
               "![x](https://evil.example/pixel.png)", "*bold* _em_ ~~gone~~ `code` $x$", "<https://evil.example>",
               "&lt;b&gt; &amp; &#60;i&#62;", "back\\slash \\*not emphasis\\*", "a | b | c", "__init__ snake_case"]


def rendered(markdown: str) -> tuple[list[str], str]:
    """The tags and the text of the HTML that markdown-it (CommonMark, tables, strikethrough) makes of Markdown."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tags, self.text = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.text.append(data)

    parser = Collect()
    parser.feed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown))
    return parser.tags, "".join(parser.text)


@pytest.mark.parametrize("case_id", HOSTILE_IDS)
def test_a_hostile_case_id_is_text_in_the_markdown_letter_and_its_html(kb, case_id):
    case = kb.read_case(EXAMPLES / "nsclc-missing-ntrk.json")
    plain = RENDERERS["markdown"](kb.explain(replace(case, id="plain")), 3)
    hostile = RENDERERS["markdown"](kb.explain(replace(case, id=case_id)), 3)
    plain_tags, _ = rendered(plain)
    tags, text = rendered(hostile)
    assert tags == plain_tags  # no element the letter does not have anyway: no script, link, image, emphasis
    assert f"Case: {case_id}\n" in text  # and the id reads back exactly as it was given


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40))
def test_any_text_escaped_for_markdown_renders_as_exactly_that_text(text):
    tags, shown = rendered(f"a {markdown_escape(text)} b")
    assert tags == ["p"] and shown == f"a {text} b\n"
