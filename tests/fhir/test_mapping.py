"""laro_kb.fhir: FHIR R4 Bundles become cases (docs/fhir.md), and decide like any case file.

Each example Bundle of examples/fhir/ is decided, with the pathways behind the decision; each mapping of the table is
shown with a small bundle; and what a bundle does not state stays unknown."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from click.testing import CliRunner

from laro_kb.cli import main
from laro_kb.errors import CaseError
from laro_kb.fhir import case_from_fhir, extract, read_resources

from ..conftest import EXAMPLES

FHIR = EXAMPLES / "fhir"
ON = date(2026, 12, 1)


def bundle(*resources, type_="collection"):
    return {"resourceType": "Bundle", "id": "b", "type": type_, "entry": [{"resource": r} for r in resources]}


def load(name):
    return json.loads((FHIR / name).read_text())


def case_of(kb, data):
    return case_from_fhir(data, kb.vocabulary, today=ON)


def values(kb, data):
    return dict(case_of(kb, data).values)


PATIENT = {"resourceType": "Patient", "id": "p", "birthDate": "1963-04-12"}


def observation(oid, loinc, **value):
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, **value}


def ntrk_test(oid, genes, result, **extra):
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
            "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": result}]},
            "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]},
                           "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId",
                                                                "code": g}]}} for g in genes] +
                         [{"code": {"text": "DNA change type"}, "valueCodeableConcept": {"text": "Gene fusion"}}],
            **extra}


# ---- the examples, decided ------------------------------------------------------------------------------------

EXPECTED = {
    "ntrk-present-approve.json": ("approve", {"gist.4": "approved"}),
    "ntrk-absent-deny.json": ("deny", {"gist.3": "denied", "gist.4": "denied", "solid_tumors.fda": "denied"}),
    "ntrk-missing-pend.json": ("pend", {"gist.4": "pending", "gist.3": "pending", "solid_tumors.fda": "pending"}),
    "renewal.json": ("approve", {"renewal.2": "approved"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_bundle_gets_its_decision_and_the_pathways_behind_it(kb, name):
    d = kb.decide(kb.read_case(FHIR / name))
    outcome, verdicts = EXPECTED[name]
    assert d.outcome == outcome
    assert {p.id: p.verdict for p in d.pathways if p.id in verdicts} == verdicts


def test_the_approvable_bundle_reads_as_this_case(kb):
    assert kb.read_case(FHIR / "ntrk-present-approve.json").as_dict() == {
        "id": "fhir-ntrk-present", "request": "initial", "prescriber": "oncologist",
        "patient": {"age": 63},
        "diagnosis": {"icd10": "C49.A", "section": "gist", "stage": "IV"},
        "disease": {"metastatic": True},
        "biomarker": {"ntrk_fusion": "positive"},
        "performance": {"ecog": 1},
        "history": {"prior_therapies": []},  # lisinopril is no anticancer therapy
        "treatment": {"line": 1, "regimen": "single_agent"},  # answered on the laro-kb questionnaire
    }


def test_the_pend_asks_for_the_ntrk_fusion_result(kb):
    d = kb.decide(kb.read_case(FHIR / "ntrk-missing-pend.json"))
    assert d.needs["gist.4"] == ("biomarker.ntrk_fusion",)


def test_a_denial_is_for_the_absent_fusion(kb):
    d = kb.decide(kb.read_case(FHIR / "ntrk-absent-deny.json"))
    gist4 = next(p for p in d.pathways if p.id == "gist.4")
    assert [c.criterion for c in gist4.failing] == ["ntrk_fusion_positive"]


def test_larotrectinib_given_before_makes_the_draft_order_a_renewal_and_history_names_the_drugs(kb):
    case = kb.read_case(FHIR / "renewal.json")
    assert case.get("request") == "renewal"
    assert set(case.get("history.prior_therapies")) >= {"larotrectinib", "other_targeted_therapy"}


def test_decide_prints_the_decision_of_a_bundle(golden):
    result = CliRunner().invoke(main, ["decide", str(FHIR / "ntrk-present-approve.json")])
    assert result.exit_code == 0, result.output
    golden("decide-fhir-ntrk-present-approve.json.txt", result.output)


def test_why_reads_a_bundle_too():
    result = CliRunner().invoke(main, ["why", str(FHIR / "ntrk-missing-pend.json"), "--pathway", "gist.4"])
    assert result.exit_code == 0, result.output
    assert "biomarker.ntrk_fusion" in result.output


def test_batch_reads_a_bundle_record(tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("\n".join(json.dumps(load(n)) for n in sorted(EXPECTED)) + "\n")
    result = CliRunner().invoke(main, ["batch", str(jsonl), "-o", str(tmp_path / "out.jsonl"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    recs = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["decision"] for r in recs] == [EXPECTED[n][0] for n in sorted(EXPECTED)]


# ---- the mapping, element by element --------------------------------------------------------------------------

def test_age_is_counted_on_the_request_date(kb):
    order = {"resourceType": "MedicationRequest", "id": "o", "status": "draft", "intent": "order",
             "medicationCodeableConcept": {"text": "larotrectinib"}, "subject": {"reference": "Patient/p"},
             "authoredOn": "2026-04-11"}
    assert values(kb, bundle(PATIENT, order))["patient.age"] == 62  # the day before the 63rd birthday
    order["authoredOn"] = "2026-04-12"
    assert values(kb, bundle(PATIENT, order))["patient.age"] == 63


def test_a_birth_year_alone_gives_no_age_when_two_are_possible(kb):
    ex = extract(read_resources(bundle({**PATIENT, "birthDate": "1963"})), kb.vocabulary, today=ON)
    assert "patient" not in ex.data
    assert "does not fix the age" in ex.notes[0]


def test_what_the_bundle_does_not_state_stays_unknown(kb):
    case = case_of(kb, bundle(PATIENT))
    assert case.values == (("patient.age", 63),)
    assert kb.decide(case).outcome == "pend"


def test_an_icd10_code_gives_the_section_through_the_kb_code_table(kb):
    condition = {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C251"}]}}
    v = values(kb, bundle(condition))
    assert (v["diagnosis.icd10"], v["diagnosis.section"]) == ("C25.1", "pancreatic")  # under C25, dot added
    condition["code"]["coding"][0]["code"] = "C34.90"  # the policy's table lists no lung code
    v = values(kb, bundle(condition))
    assert v == {"diagnosis.icd10": "C34.90"}


def test_stage_and_metastatic_disease_come_from_condition_stage(kb):
    condition = {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/p"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C49.A"}]},
                 "stage": [{"summary": {"text": "Stage IIIB"}}, {"summary": {"text": "pT3 pN0 cM0"}}]}
    v = values(kb, bundle(condition))
    assert (v["diagnosis.stage"], v["disease.metastatic"]) == ("III", False)
    condition["stage"].append({"summary": {"text": "Stage IVB"}})  # a later staging that differs is not lost
    ex = extract(read_resources(bundle(condition)), kb.vocabulary, today=ON)
    assert ex.data["diagnosis"]["stage"] == "III"
    assert ex.notes == ("Condition/c stage[2].summary states diagnosis.stage IVB; the first staging's III "
                        "(stage[0].summary) is read",)


def test_two_cancers_and_no_order_naming_one_leave_the_diagnosis_unknown(kb):
    cs = [{"resourceType": "Condition", "id": c, "subject": {"reference": "Patient/p"},
           "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": c}]}}
          for c in ("C49.A", "C20")]
    ex = extract(read_resources(bundle(*cs)), kb.vocabulary, today=ON)
    assert "diagnosis" not in ex.data and "several codes" in ex.notes[0]


def test_an_ntrk_fusion_present_is_positive_and_absent_in_all_three_genes_is_negative(kb):
    all3 = ["HGNC:8031", "HGNC:8032", "HGNC:8033"]
    assert values(kb, bundle(ntrk_test("n", ["HGNC:8033"], "LA9633-4")))["biomarker.ntrk_fusion"] == "positive"
    assert values(kb, bundle(ntrk_test("n", all3, "LA9634-2")))["biomarker.ntrk_fusion"] == "negative"


def test_an_ntrk1_test_alone_does_not_rule_out_an_ntrk3_fusion(kb):
    ex = extract(read_resources(bundle(ntrk_test("n", ["HGNC:8031"], "LA9634-2"))), kb.vocabulary, today=ON)
    assert "biomarker" not in ex.data
    assert "NTRK2, NTRK3 not tested" in ex.notes[0]


def test_the_text_forms_of_an_ntrk_result(kb):
    text = observation("n", "12345-6", valueString="No NTRK1/2/3 gene fusion detected")
    text["code"] = {"text": "NTRK gene fusion panel"}
    assert values(kb, bundle(text))["biomarker.ntrk_fusion"] == "negative"
    text["valueString"] = "ETV6::NTRK3 fusion detected"
    assert values(kb, bundle(text))["biomarker.ntrk_fusion"] == "positive"


def test_the_latest_ecog_and_a_karnofsky_score(kb):
    old = observation("e1", "89247-1", valueInteger=3, effectiveDateTime="2026-01-01")
    new = observation("e2", "89247-1", valueInteger=1, effectiveDateTime="2026-11-01")
    kps = observation("k", "89243-0", valueQuantity={"value": 80, "unit": "%"})
    v = values(kb, bundle(old, new, kps))
    assert (v["performance.ecog"], v["performance.karnofsky"]) == (1, 80)


def test_a_nucc_oncology_specialty_is_an_oncologist_and_another_stays_unknown(kb):
    role = {"resourceType": "PractitionerRole", "id": "r",
            "specialty": [{"coding": [{"system": "http://nucc.org/provider-taxonomy", "code": "2086X0206X"}]}]}
    assert values(kb, bundle(role))["prescriber"] == "oncologist"
    role["specialty"][0]["coding"][0]["code"] = "207Q00000X"  # family medicine: no oncologist, but maybe consulted
    assert "prescriber" not in values(kb, bundle(role))


# ---- refused input --------------------------------------------------------------------------------------------

def refusal(kb, data) -> CaseError:
    with pytest.raises(CaseError) as caught:
        case_of(kb, data)
    return caught.value


def test_a_malformed_resource_is_an_error_naming_the_resource_and_the_element(kb):
    err = refusal(kb, bundle({**PATIENT, "birthDate": "1963-13-01"}))
    assert (err.record, err.field) == ("Patient/p", "birthDate")
    err = refusal(kb, bundle(observation("x", "89247-1", valueCodeableConcept={"coding": [{"system": 5}]})))
    assert (err.record, err.field) == ("Observation/x", "valueCodeableConcept.coding[0].system")
    assert "not valid FHIR" in str(err)


def test_an_impossible_value_is_reported_at_the_element_it_came_from(kb):
    err = refusal(kb, bundle(observation("e", "89247-1", valueInteger=7)))
    assert (err.record, err.field) == ("Observation/e", "valueInteger")
    assert "performance.ecog" in err.message


def test_a_fact_stated_twice_differently_is_refused_naming_both(kb):
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "questionnaire": "urn:laro-kb:questionnaire:larotrectinib",
          "item": [{"linkId": "performance.ecog", "answer": [{"valueInteger": 2}]}]}
    err = refusal(kb, bundle(observation("e", "89247-1", valueInteger=1), qr))
    assert err.record == "QuestionnaireResponse/q" and "Observation/e" in err.message


def test_a_questionnaire_item_that_is_no_field_is_refused_with_the_nearest_field(kb):
    qr = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "completed",
          "questionnaire": "urn:laro-kb:questionnaire:larotrectinib",
          "item": [{"linkId": "treatment.regimn", "answer": [{"valueCoding": {"code": "single_agent"}}]}]}
    err = refusal(kb, bundle(qr))
    assert (err.field, err.suggestion) == ("item[0].linkId", "treatment.regimen")


@pytest.mark.parametrize("change, field", [
    (lambda b: b.update(type="history"), "type"),
    (lambda b: b["entry"].append({"resource": {"resourceType": "Pateint", "id": "x"}}), "resourceType"),
    (lambda b: b["entry"].append({"resource": {**PATIENT, "id": "other"}}), None),
])
def test_a_bundle_that_cannot_be_a_case_is_refused(kb, change, field):
    data = copy.deepcopy(bundle(PATIENT))
    change(data)
    assert refusal(kb, data).field == field


def test_a_bad_bundle_file_is_one_line_and_exit_status_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle({**PATIENT, "gender": 3})))
    result = CliRunner().invoke(main, ["decide", str(bad)])
    assert result.exit_code == 2
    assert result.output == f"laro-kb: error: {bad}: record Patient/p: field 'gender': not valid FHIR: " \
                            "Input should be a valid string\n"


def test_a_prior_therapy_by_rxnorm_code_reads_as_its_class_through_the_drug_table(kb):
    statement = {"resourceType": "MedicationStatement", "id": "m", "status": "completed",
                 "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"coding": [
                     {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1547545"}]}}
    assert values(kb, bundle(statement))["history.prior_therapies"] == ("checkpoint_inhibitor",)
    statement["status"] = "not-taken"  # never given: no history documented
    assert "history.prior_therapies" not in values(kb, bundle(statement))
