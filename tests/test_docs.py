"""Generated docs are current, and every pathway is tested by an approving and a non-approving case."""

from __future__ import annotations

from laro_kb.casetests import load_tests
from laro_kb.docgen import generated

from .conftest import CASES, ROOT


def test_generated_docs_are_up_to_date(kb):
    for name, text in generated(kb).items():
        path = ROOT / "docs" / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, \
            f"docs/{name} is out of date: run python -m laro_kb.docgen"


def test_every_pathway_has_an_approving_and_a_non_approving_test(kb, outcome_of):
    approving, missed = set(), set()
    for path in CASES.glob("*.yaml"):
        for t in load_tests(path):
            d = outcome_of(t).decision
            approving |= {p.id for p in d.approved}
            missed |= {p.id for p in d.pathways if p.verdict != "approved"}
    assert sorted(set(kb.pathways) - approving) == [], "pathways no test approves"
    assert sorted(set(kb.pathways) - missed) == [], "pathways no test misses"
