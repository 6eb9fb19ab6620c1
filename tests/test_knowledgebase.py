"""laro_kb.knowledgebase: loading the whole policy, and deciding cases with the reasons behind them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import laro_kb
from laro_kb.errors import KBError
from laro_kb.knowledge.files import default_kb_dir

from .conftest import EXAMPLES, KB_DIR

POLICY = Path(__file__).resolve().parents[2] / "shared" / "policy" / "000_2bdacb168648efe9.txt"


def test_every_pathway_has_policy_text_and_a_source(kb):
    for p in kb.pathways.values():
        assert p.text, p.id
        assert p.source is not None and p.source.kind in ("nccn", "fda", "policy"), p.id
        if p.source.kind != "policy":
            assert p.source.citation, p.id


def test_every_policy_section_has_pathways(kb):
    headings = {p.section_heading for p in kb.pathways.values()}
    assert len(headings) >= 28
    assert "Solid Tumors" in headings and "Non-Small Cell Lung Cancer" in headings


@pytest.mark.skipif(not POLICY.exists(), reason="the policy text is beside the project in ../shared")
def test_pathway_texts_are_the_policy_words(kb):
    """Each pathway's text, less its numbering, occurs in the policy (whitespace and list marks aside)."""
    import re

    def norm(s):
        return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()

    policy = norm(POLICY.read_text(encoding="utf-8"))
    for p in kb.pathways.values():
        for piece in re.split(r"\s*(?:^|\s)(?:[a-i]\)|\d+\.)\s+", p.text):
            piece = norm(piece)
            assert piece in policy, f"{p.id}: {piece!r}"


def test_deciding_b_after_a_gives_the_same_answer_as_b_alone(kb, fresh_kb):
    a = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    b = kb.read_case(EXAMPLES / "nsclc-missing-ntrk.json")
    kb.decide(a)
    after_a = kb.decide(b)
    alone = fresh_kb.decide(b)
    assert after_a == alone
    assert after_a.outcome == "pend"


def test_a_decision_leaves_no_patient_facts_behind(kb):
    kb.decide(kb.read_case(EXAMPLES / "nsclc-first-line.json"))
    assert kb.engine.ask("val", None, None, None) == []
    assert kb.engine.ask("case", None) == []


def test_the_repr_shows_the_decision_and_its_pathways(kb):
    d = kb.decide(EXAMPLES / "nsclc-first-line.json")
    assert repr(d) == "<Decision APPROVE case 'example-nsclc-first-line': nsclc.3a; 12 months>"
    pend = kb.decide(EXAMPLES / "nsclc-missing-ntrk.json")
    assert repr(pend).startswith("<Decision PEND case 'example-nsclc-missing-ntrk': ")
    assert "nsclc.3a needs biomarker.ntrk_fusion" in repr(pend)


def test_a_pend_lists_per_pathway_the_facts_to_ask_for(kb):
    d = kb.decide(EXAMPLES / "nsclc-missing-ntrk.json")
    assert d.needs == {"nsclc.3a": ("biomarker.ntrk_fusion",)}
    fda = [p for p in d.pathways if p.id == "solid_tumors.fda"][0]
    assert fda.verdict == "denied"  # a satisfactory alternative exists and nothing progressed
    assert [c.criterion for c in fda.failing] == ["no_alternative_or_progressed"]


def test_an_absent_fact_never_turns_into_a_denial(kb):
    """Remove any one documented fact from an approved case: the result is approve or pend, never deny."""
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    for name, _ in case.values:
        d = kb.decide(case.with_values(**{name: None}))
        assert d.outcome in ("approve", "pend"), name


def test_decisions_are_immutable_values(kb):
    d = kb.decide(EXAMPLES / "renewal.json")
    with pytest.raises(AttributeError):
        d.outcome = "deny"


def test_the_shipped_kb_is_found_without_a_path():
    assert any(default_kb_dir().glob("*.dl"))
    assert len(laro_kb.load().pathways) == len(laro_kb.load(KB_DIR).pathways)


def test_a_changed_criterion_in_a_kb_copy_changes_the_decision(kb, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    path = copy / "eligibility.dl"
    path.write_text(path.read_text().replace("at_least('age.at_least_18', 'patient.age', 18)",
                                             "at_least('age.at_least_18', 'patient.age', 60)"))
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    assert kb.decide(case).outcome == "approve"
    changed = laro_kb.load(copy).decide(case)
    assert [c.criterion for p in changed.pathways if p.id == "nsclc.3a" for c in p.failing] == ["age.at_least_18"]


def test_a_kb_directory_with_python_in_it_is_refused_before_it_runs(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    marker = tmp_path / "ran"
    (copy / "zz_evil.dl").write_text(f"__import__('pathlib').Path({str(marker)!r}).touch()\n")
    with pytest.raises(KBError) as info:
        laro_kb.load(copy)
    assert info.value.file.endswith("zz_evil.dl") and info.value.line == 1
    assert not marker.exists()


def test_a_missing_kb_directory_is_a_kb_error(tmp_path):
    with pytest.raises(KBError, match="not a directory"):
        laro_kb.load(tmp_path / "nope")


def test_a_cancer_under_none_of_its_sections_subsections_is_decided_not_pended(kb):
    """A well-differentiated neuroendocrine tumour is in the section but in none of its subsections."""
    base = dict(age=60, request="initial", prescriber="oncologist", section="neuroendocrine", ntrk_fusion="positive",
                acquired_resistance_mutation=False, metastatic=True, satisfactory_alternative=True,
                progressed_on=["chemotherapy"], prior_therapies=["chemotherapy"], regimen="single_agent", line=2)
    unknown = kb.decide(kb.case(**base))
    assert unknown.needs == {"neuroendocrine.3": ("diagnosis.subsection",)}
    other = kb.decide(kb.case(subsection="other", **base))
    assert "neuroendocrine.3" not in {p.id for p in other.pathways}
    assert other.outcome == "approve" and [p.id for p in other.approved] == ["solid_tumors.fda"]
