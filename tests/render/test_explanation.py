"""laro_kb.render.explanation: explanations as text trees, Markdown and JSON, checked against tests/golden/.

Regenerate after a deliberate change with: python -m pytest --regen-golden (then review the diff).
"""

from __future__ import annotations

import json

import pytest

from laro_kb.render.explanation import RENDERERS, explanation_dict

from ..conftest import EXAMPLES

CASES = [("nsclc-missing-ntrk.json", None), ("hematologic-malignancy.json", None),
         ("pediatric-solid-tumor.yaml", ["solid_tumors.fda"]), ("nsclc-first-line.json", ["nsclc.3b"])]
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


def test_the_json_is_versioned_and_carries_the_trace_at_depth_4(kb):
    d = explanation_dict(kb.explain(EXAMPLES / "nsclc-first-line.json", ["nsclc.3a"]), 4)
    assert d["schema"] == "laro-kb/explanation/1"
    age = next(c for c in d["pathways"][0]["criteria"] if c["criterion"] == "age.at_least_18")
    assert age["comparisons"] == ["58 >= 18"] and age["trace"]["rule"].startswith("logic.dl:")
    json.dumps(d)
