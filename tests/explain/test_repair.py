"""laro_kb.explain.repair: proposals are verified by the kb's rules, respect field bounds, and keep immutable facts."""

from __future__ import annotations

from laro_kb.explain.repair import Repairer

from ..conftest import EXAMPLES


def test_a_proposal_is_verified_by_the_rules(kb):
    case = kb.read_case(EXAMPLES / "nsclc-missing-ntrk.json")
    r = Repairer(kb)
    assert not r.approves(case, "nsclc.3a")
    assert r.approves(case.with_values(**{"biomarker.ntrk_fusion": "positive"}), "nsclc.3a")


def test_an_undocumented_immutable_fact_may_be_asked_for_but_a_documented_one_never_changes(kb):
    r = Repairer(kb)
    case = kb.read_case(EXAMPLES / "nsclc-missing-ntrk.json")
    change = r.for_pathway(case, "nsclc.3a", {"ntrk_fusion_positive": "unknown"}, set())
    assert change.sets == (("biomarker.ntrk_fusion", "positive"),)
    documented = case.with_values(**{"biomarker.ntrk_fusion": "negative"})
    change = r.for_pathway(documented, "nsclc.3a", {"ntrk_fusion_positive": "not_met"}, set())
    assert change.sets == () and "biomarker.ntrk_fusion" in change.reason


def test_an_exclusion_is_repaired_by_making_it_not_hold_when_its_facts_can_change(kb):
    case = kb.case("x", request="initial", age=60, prescriber="oncologist", section="small_bowel",
                   ntrk_fusion="positive", regimen="single_agent", advanced=True, line=2, prior_therapies=[],
                   progressed_on=[])
    p = next(p for p in kb.explain(case).pathways if p.id == "small_bowel.3")
    assert p.verdict == "approved"
    excluded = case.with_values(**{"history.prior_therapies": ("larotrectinib",)})
    p = next(p for p in kb.explain(excluded).pathways if p.id == "small_bowel.3")
    assert p.verdict == "denied" and p.change.sets == () and "history.prior_therapies" in p.change.reason
