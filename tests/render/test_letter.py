"""laro_kb.render.letter: the determination letter as a member and a prescriber meet it (laro-kb decide / why
--format letter and letter-html), whole, against tests/golden/letter-*; and what it must never hold."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from laro_kb.cli import main

from ..conftest import CASES, EXAMPLES

EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.iterdir() if p.is_file())


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


class Text(HTMLParser):
    """The text a reader sees in HTML, and the elements it has."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def seen(markup: str) -> Text:
    parser = Text()
    parser.feed(markup)
    return parser


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_each_example_has_its_golden_letter(golden, example):
    letter = run("decide", EXAMPLES / example, "--format", "letter")
    golden(f"letter-{example}.md", letter)
    assert run("why", EXAMPLES / example, "--format", "letter") == letter


def test_the_html_letter_is_the_markdown_letter_as_a_page(golden):
    page = run("decide", EXAMPLES / "nsclc-missing-ntrk.json", "--format", "letter-html")
    golden("letter-nsclc-missing-ntrk.json.html", page)
    markdown = run("decide", EXAMPLES / "nsclc-missing-ntrk.json", "--format", "letter")
    assert "".join(seen(page).text).split() == \
        ["Coverage", "determination:", "Larotrectinib", "(Vitrakvi®)"] + "".join(
            seen(MarkdownIt("commonmark").render(markdown)).text).split()


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_a_letter_has_no_internal_name_no_entity_and_lists_numbered_in_order(kb, example):
    letter = run("decide", EXAMPLES / example, "--format", "letter")
    d = kb.decide(EXAMPLES / example)
    # the names only the kb and the JSON use (one-word field names such as 'request' are English words too)
    terms = {t for f in kb.vocabulary.fields.values() for t in f.term_names()}
    internal = {w for w in set(kb.vocabulary.fields) | set(kb.pathways) | set(kb.criteria) | terms | {"not_met"}
                if "." in w or "_" in w}
    assert not [w for w in internal if re.search(rf"(?<![\w.]){re.escape(w)}(?![\w.])", letter)]
    assert not re.search(r"&[#\w]+;", letter)
    # every ordered list counts 1, 2, 3, ... (markdown-it reads the numbers the reader sees)
    tokens = MarkdownIt("commonmark").parse(letter)
    for i, t in enumerate(tokens):
        if t.type == "ordered_list_open":
            items = [x for x in tokens[i + 1:] if x.level == t.level + 1 and x.type == "list_item_open"]
            ends = next(j for j, x in enumerate(tokens[i:]) if x.type == "ordered_list_close" and x.level == t.level)
            items = [x for x in tokens[i + 1:i + ends] if x.type == "list_item_open" and x.level == t.level + 1]
            assert [x.info for x in items] == [str(n) for n in range(1, len(items) + 1)]
    # the parts a member needs
    sections = re.findall(r"^## (.*)$", letter, re.M)
    assert letter.startswith("# Coverage determination: Larotrectinib (Vitrakvi®)\n")
    assert "- Drug requested: Larotrectinib (Vitrakvi®)" in letter
    assert "- Policy: Larotrectinib (Vitrakvi®), version 1.0, effective August 28, 2025" in letter
    if d.outcome == "approve":
        assert sections == ["Our decision", "Why", "Questions"]
        assert f"for {d.authorization_months} months" in letter
    else:
        assert sections == ["Our decision", "Why", "What documentation would change the decision",
                            "Peer-to-peer review", "Your right to appeal"]
        assert "\\[Plan name\\]" in letter and "\\[Telephone number to schedule a peer-to-peer review\\]" in letter


def test_each_reason_is_in_the_kbs_words_with_the_policy_text_it_comes_from(kb):
    letter = run("decide", EXAMPLES / "hematologic-malignancy.json", "--format", "letter")
    fda = kb.pathways["solid_tumors.fda"]
    solid = kb.criteria["solid_tumor"] if "solid_tumor" in kb.criteria else None
    assert f'1. {fda.heading}, criterion {fda.number}{fda.option} ({fda.source}). The policy says: "{fda.text}"' \
        in letter
    section = kb.vocabulary.fields["diagnosis.solid_tumor"].description
    assert f"{section[0].lower()}{section[1:]}: no" in letter  # documented false, in the field's own description
    assert "**Denied.**" in letter
    assert "No documentation we could receive would change this decision" in letter
    assert solid is None or solid.label in letter


def test_a_pend_letter_asks_for_what_is_missing_and_what_would_change_the_decision(kb):
    letter = run("why", EXAMPLES / "nsclc-missing-ntrk.json", "--format", "letter")
    ntrk = kb.vocabulary.fields["biomarker.ntrk_fusion"]
    assert "**More information needed.**" in letter
    assert f"Please send records that document:\n\n1. {ntrk.description}\n" in letter
    assert f"- Documentation that shows {ntrk.description}: {dict(ntrk.terms)['positive']} would meet the policy's " \
           "criteria under Non-Small Cell Lung Cancer, criterion 3a." in letter


def test_a_pend_letter_says_why_the_policys_words_do_not_settle_a_criterion(kb):
    """First-line therapy of metastatic disease would imply "primary treatment", but documented progression on
    chemotherapy stops that reading: the letter asks for the treatment's role and says why it is not inferred."""
    from laro_kb.author.testing.cases import load_tests
    from laro_kb.render.letter import Words
    test = next(t for t in load_tests(CASES / "biliary.yaml")
                if t.name.startswith("an unresectable gallbladder patient documented as first-line but with progression"))
    letter = kb.text(kb.explain(kb.parse_case(test.case, file=test.file, record=test.name)), format="letter")
    primary, first, progressed = (kb.criteria[k].label for k in ("biliary.primary_treatment",
                                                                 "biliary.first_line_advanced",
                                                                 "progressed_on_systemic"))
    assert "**More information needed.**" in letter
    assert (f"The policy requires {primary}, and the request does not document "
            f"{Words(kb.vocabulary).field('treatment.intent')}. It is not inferred from {first} (") \
        in letter
    assert f"because {progressed} is documented as well (" in letter and "Cytotoxic chemotherapy" in letter


HOSTILE = ["<script>alert(1)</script>", "[click](https://evil.example)", "**bold** _it_ `code` &amp; |x| ~~s~~",
           "![img](x.png) <b onmouseover=x>", "a\\*b &lt; $math$ #1"]


@pytest.mark.parametrize("case_id", HOSTILE)
def test_every_case_supplied_string_reads_back_as_itself_in_markdown_and_html(kb, case_id, tmp_path):
    import json
    data = json.loads((EXAMPLES / "nsclc-missing-ntrk.json").read_text())
    data["id"] = case_id
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data))
    letter = run("why", path, "--format", "letter")
    assert not re.search(r"(?<!\\)&[#\w]+;", letter)  # escaped with backslashes, never with an entity
    rendered = seen(MarkdownIt("commonmark").render(letter))
    assert f"Request reference: {case_id}" in "".join(rendered.text)
    assert {t for t, _ in rendered.tags} <= {"h1", "h2", "p", "ul", "ol", "li", "strong"}
    page = run("why", path, "--format", "letter-html")
    shown = seen(page)
    assert f"Request reference: {case_id}" in "".join(shown.text)
    assert {t for t, _ in shown.tags} <= {"html", "head", "meta", "title", "body", "h1", "h2", "p", "ul", "ol", "li",
                                          "strong"}
    assert all(not attrs for t, attrs in shown.tags if t not in ("html", "meta"))
    # in the HTML source, only what must be an entity is one
    assert set(re.findall(r"&[#\w]+;", page)) <= {"&lt;", "&gt;", "&amp;"}
    assert html.unescape(page).count(case_id) == 1


def test_the_plan_fills_the_placeholders(kb):
    from laro_kb.render.letter import PLACEHOLDERS, letter_markdown
    d = kb.decide(EXAMPLES / "hematologic-malignancy.json")
    plan = {"plan_name": "Acme Health <Plan>", "notice_date": "December 3, 2026"}
    letter = letter_markdown(d.explain(), kb.vocabulary, kb.policy, None, plan)
    assert "Acme Health \\<Plan\\>, \\[Plan telephone number" in letter
    assert "- Date of this notice: December 3, 2026" in letter
    assert "[Plan name]" not in letter.replace("\\", "") and len(PLACEHOLDERS) == 10
