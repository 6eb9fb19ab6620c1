"""laro_kb.render.fhir: the CRD coverage-information extension keeps the IG's invariants for every outcome, and the
PAS review action carries the X12 306 code of the decision."""

from __future__ import annotations

from datetime import date

import pytest

from laro_kb.render.fhir import CRD_COVERAGE_INFORMATION, claim_response, coverage_information

CASES = {
    "approve": dict(age=63, section="gist", ntrk_fusion="positive", metastatic=True, line=1, regimen="single_agent",
                    prescriber="oncologist", request="initial"),
    "pend": dict(age=63, section="gist", metastatic=True, line=1, regimen="single_agent", request="initial"),
    "deny": dict(age=63, section="gist", ntrk_fusion="negative", prescriber="oncologist", request="initial"),
}


@pytest.fixture(scope="module")
def decisions(kb):
    return {outcome: kb.decide(kb.case(**facts)) for outcome, facts in CASES.items()}


def subs(ext) -> dict:
    out: dict = {}
    for e in ext["extension"]:
        out.setdefault(e["url"], []).append(e)
    return out


@pytest.mark.parametrize("outcome", CASES)
def test_coverage_information_keeps_the_crd_invariants(kb, decisions, outcome):
    d = decisions[outcome]
    assert d.outcome == outcome
    ext = coverage_information(d, kb.vocabulary, policy_url="http://x/policy/pathways", today=date(2026, 12, 3))
    assert ext["url"] == CRD_COVERAGE_INFORMATION
    s = subs(ext)
    value = {k: [next(v for key, v in e.items() if key.startswith("value")) for e in es]
             for k, es in s.items() if k != "detail"}
    # required elements: coverage, covered, date, coverage-assertion-id (1..1 each)
    assert all(len(s[k]) == 1 for k in ("coverage", "covered", "date", "coverage-assertion-id"))
    # crd-ci-q2: not covered, so no pa-needed
    assert ("pa-needed" in s) == (value["covered"] != ["not-covered"])
    # crd-ci-q3: info-needed iff something is conditional
    assert ("info-needed" in s) == any(value.get(k) == ["conditional"] for k in ("covered", "pa-needed", "doc-needed"))
    # crd-ci-q5: satisfied-pa-id iff pa-needed is satisfied
    assert ("satisfied-pa-id" in s) == (value.get("pa-needed") == ["satisfied"])
    # crd-ci-q6 and q8: OTH, or a doc-purpose, needs a reason
    if "OTH" in value.get("info-needed", []) or "doc-purpose" in s:
        assert value["reason"][0]["text"]
    links = [d["extension"][2]["valueUrl"] for d in s["detail"] if "valueUrl" in d["extension"][2]]
    assert links and all(link.startswith("http://x/policy/pathways/") for link in links)


def test_the_pend_lists_what_it_needs(kb, decisions):
    s = subs(coverage_information(decisions["pend"], kb.vocabulary, policy_url="u", today=date(2026, 12, 3)))
    needs = [d["extension"][2]["valueString"] for d in s["detail"] if "valueString" in d["extension"][2]]
    assert "Document: NTRK1/2/3 gene fusion test result (biomarker.ntrk_fusion)" in needs
    assert "Document: Who prescribes larotrectinib (prescriber)" in needs
    assert {e["valueCode"] for e in s["info-needed"]} == {"performer", "OTH"}  # the prescriber is the performer


def test_each_outcome_is_its_x12_306_review_action(kb, decisions):
    claim = {"resourceType": "Claim", "patient": {"reference": "Patient/p"}, "use": "preauthorization"}
    items = [(1, decisions["approve"]), (2, decisions["deny"]), (3, decisions["pend"]), (4, None)]
    r = claim_response(claim, "Claim/c", items, kb.vocabulary, created="2026-12-03T00:00:00+00:00",
                       decided_on=date(2026, 12, 3))
    codes = [[e["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] for e in
              i["adjudication"][0].get("extension", [])] for i in r["item"]]
    assert codes == [["A1"], ["A3"], ["A4"], []]
    assert "preAuthPeriod" not in r  # not every item is certified
    assert r["processNote"][-1]["text"] == "Item 4: This policy (larotrectinib) does not apply to this item; it " \
                                           "was not reviewed."
