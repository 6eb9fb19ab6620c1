"""laro_kb.case.parse: case files are validated against the kb's vocabulary before any fact is asserted."""

from __future__ import annotations

import json

import pytest

from laro_kb.case.model import Case
from laro_kb.errors import CaseError


def write(tmp_path, data, name="case.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def error(kb, tmp_path, data, name="case.json") -> CaseError:
    with pytest.raises(CaseError) as info:
        kb.read_case(write(tmp_path, data, name))
    return info.value


def test_a_valid_case_reads_into_sorted_documented_values(kb, tmp_path):
    case = kb.read_case(write(tmp_path, {"id": "a1", "patient": {"age": 58}, "diagnosis": {"section": "nsclc"},
                                         "disease": {"metastatic": True, "recurrent": None}}))
    assert case == Case("a1", (("diagnosis.section", "nsclc"), ("disease.metastatic", True), ("patient.age", 58)),
                        case.source)


def test_yaml_and_json_give_the_same_case(kb, tmp_path):
    j = kb.read_case(write(tmp_path, {"id": "x", "patient": {"age": 40}}))
    y = kb.read_case(write(tmp_path, "id: x\npatient:\n  age: 40\n", "case.yaml"))
    assert j.values == y.values


def test_unknown_is_the_same_as_null_for_a_term(kb):
    assert kb.case(ntrk_fusion="unknown").values == ()


@pytest.mark.parametrize("data, field, words, suggestion", [
    ({"patient": {"agee": 5}}, "patient.agee", "is not a field", "patient.age"),
    ({"biomarker": {"ntrk_fusion": "postive"}}, "biomarker.ntrk_fusion", "is not a valid term", "positive"),
    ({"diagnosis": {"section": "nsclcc"}}, "diagnosis.section", "is not a valid term", "nsclc"),
    ({"patient": {"age": "58"}}, "patient.age", "whole number", None),
    ({"patient": {"age": -1}}, "patient.age", "impossible", None),
    ({"patient": {"age": 200}}, "patient.age", "impossible", None),
    ({"performance": {"ecog": 7}}, "performance.ecog", "impossible", None),
    ({"performance": {"karnofsky": 55}}, "performance.karnofsky", "multiple of 10", None),
    ({"treatment": {"line": 0}}, "treatment.line", "impossible", None),
    ({"disease": {"metastatic": "yes"}}, "disease.metastatic", "true, false or null", None),
    ({"disease": {"metastatic": True, "no_evidence_of_disease": True}}, "disease.metastatic", "contradicts", None),
    ({"history": {"prior_therapies": "chemotherapy"}}, "history.prior_therapies", "list of terms", None),
    ({"history": {"prior_therapies": ["chemotherapyy"]}}, "history.prior_therapies", "not a valid term",
     "chemotherapy"),
    ({"diagnosis": {"icd10": "lung"}}, "diagnosis.icd10", "not an ICD-10 code", None),
    ({"patient": 58}, "patient", "must be a mapping", None),
])
def test_bad_values_name_the_file_record_field_and_nearest_term(kb, tmp_path, data, field, words, suggestion):
    err = error(kb, tmp_path, {"id": "r7", **data})
    assert err.file.endswith("case.json") and err.record == "r7" and err.field == field
    assert words in err.message
    assert err.suggestion == suggestion
    assert field in str(err) and "r7" in str(err)


def test_a_subsection_of_another_section_is_refused(kb):
    with pytest.raises(CaseError) as info:
        kb.case(section="breast", subsection="gallbladder")
    assert info.value.field == "diagnosis.subsection"


def test_malformed_json_names_the_line(kb, tmp_path):
    err = error(kb, tmp_path, '{"id": "x",\n "patient": {"age": 5,}}')
    assert "not valid JSON" in err.message and err.line == 2


def test_non_utf8_bytes_are_refused(kb, tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(b'{"id": "\xff"}')
    with pytest.raises(CaseError, match="not UTF-8"):
        kb.read_case(path)


def test_keywords_take_short_unambiguous_names(kb):
    case = kb.case(age=70, section="nsclc", metastatic=True)
    assert case.get("patient.age") == 70 and case.get("disease.metastatic") is True


def test_an_unknown_keyword_suggests_the_nearest_field(kb):
    with pytest.raises(CaseError) as info:
        kb.case(agee=70)
    assert info.value.suggestion == "age"


def test_a_case_round_trips_through_its_nested_form(kb):
    case = kb.case("rt", age=70, section="nsclc", prior_therapies=["chemotherapy"])
    assert kb.parse_case(case.as_dict()).values == case.values


def test_cases_are_immutable(kb):
    case = kb.case(age=70)
    with pytest.raises(AttributeError):
        case.id = "other"
    assert case.with_values(**{"patient.age": None}).values == () and case.get("patient.age") == 70


def test_a_key_given_twice_is_refused_not_silently_overwritten(kb, tmp_path):
    err = error(kb, tmp_path, "id: x\npatient: {age: 40}\npatient: {age: 41}\n", "case.yaml")
    assert "'patient' twice" in err.message and err.line == 3
    err = error(kb, tmp_path, '{"id": "x", "id": "y"}')
    assert "'id' twice" in err.message


def test_drug_and_regimen_names_in_history_stand_for_their_classes_and_are_kept_as_written(kb):
    case = kb.parse_case({"id": "d", "history": {"prior_therapies": ["Keytruda", "FOLFOX", "chemotherapy"],
                                                 "progressed_on": ["pembrolizumab"]}})
    assert case.get("history.prior_therapies") == ("checkpoint_inhibitor", "chemotherapy", "platinum_chemotherapy")
    assert case.get("history.progressed_on") == ("checkpoint_inhibitor",)
    assert case.written_as("history.prior_therapies", "checkpoint_inhibitor") == ("Keytruda",)
    assert case.written_as("history.progressed_on", "checkpoint_inhibitor") == ("pembrolizumab",)
    assert case.as_dict()["history"] == {"prior_therapies": ["Keytruda", "FOLFOX", "chemotherapy"],
                                         "progressed_on": ["pembrolizumab"]}
    assert kb.parse_case(case.as_dict()) == case  # nothing written is lost on the way round


def test_a_drug_name_is_refused_outside_the_treatment_history(kb):
    with pytest.raises(CaseError) as info:
        kb.case(regimen="pembrolizumab")
    assert info.value.field == "treatment.regimen" and "not a valid term" in info.value.message


@pytest.mark.parametrize("field, written, term", [
    ("biomarker.mmr_msi", "MSS", "pmmr_mss"), ("biomarker.mmr_msi", "pMMR", "pmmr_mss"),
    ("biomarker.mmr_msi", "MSI-H", "dmmr_msi_h"), ("biomarker.mmr_msi", "dMMR", "dmmr_msi_h"),
    ("treatment.regimen", "monotherapy", "single_agent"), ("treatment.regimen", "single agent", "single_agent"),
    ("treatment.regimen", "Single-Agent", "single_agent"),
    ("biomarker.ntrk_fusion", "detected", "positive"), ("biomarker.ntrk_fusion", "not detected", "negative"),
    ("biomarker.ntrk_fusion", "POS", "positive"), ("biomarker.ntrk_fusion", "neg", "negative"),
    ("biomarker.her2", "+", "positive"), ("request", "continuation", "renewal"),
    ("biomarker.idh", "IDH-wildtype", "wildtype"),
])
def test_a_synonym_or_abbreviation_is_read_as_its_term_and_kept_as_written(kb, field, written, term):
    group, leaf = field.split(".") if "." in field else (None, field)
    case = kb.parse_case({"id": "s", **({group: {leaf: written}} if group else {leaf: written})})
    assert case.get(field) == term
    assert case.written == ((field, written),) and case.written_as(field, term) == (written,)


@pytest.mark.parametrize("field, written", [
    ("biomarker.mmr_msi", "microsatellite whatever"), ("treatment.regimen", "polytherapy"),
    ("request", "extension"), ("biomarker.ntrk_fusion", "equivocal"),
])
def test_a_word_that_is_not_a_term_lists_the_valid_terms_and_suggests_nothing(kb, tmp_path, field, written):
    group, leaf = field.split(".") if "." in field else (None, field)
    err = error(kb, tmp_path, {"id": "w", **({group: {leaf: written}} if group else {leaf: written})})
    assert err.field == field and err.suggestion is None
    assert "valid terms: " + ", ".join(kb.vocabulary.fields[field].term_names()) in err.message


def test_every_problem_of_a_case_is_reported_at_once_with_its_field_and_suggestion(kb, tmp_path):
    from laro_kb.errors import CaseErrors
    err = error(kb, tmp_path, {"id": "many", "patient": {"agee": 5}, "biomarker": {"ntrk_fusion": "postive"},
                               "treatment": {"line": 0},
                               "history": {"prior_therapies": ["chemotherapyy", "aspirin"]}})
    assert isinstance(err, CaseErrors)
    assert [(e.file.endswith("case.json"), e.record, e.field, e.suggestion) for e in err.errors] == [
        (True, "many", "patient.agee", "patient.age"),
        (True, "many", "biomarker.ntrk_fusion", "positive"),
        (True, "many", "treatment.line", None),
        (True, "many", "history.prior_therapies", "chemotherapy"),
        (True, "many", "history.prior_therapies", None)]
    assert len(str(err).splitlines()) == 5 and "'aspirin' is not a valid term" in str(err)


@pytest.mark.parametrize("blank", ["", "   ", "\u3000"])
def test_a_blank_case_id_is_refused_naming_the_field_not_taken_as_an_id(kb, blank):
    with pytest.raises(CaseError) as exc:
        kb.parse_case({"id": blank, "patient": {"age": 58}}, file="cases.jsonl", record="cases.jsonl:3")
    assert (exc.value.file, exc.value.record, exc.value.field) == ("cases.jsonl", "cases.jsonl:3", "id")
    assert "not blank" in exc.value.message


def test_an_icd10_code_proposes_the_subsection_of_the_cases_section_and_says_so(kb):
    base = {"id": "c23", "diagnosis": {"icd10": "C23", "section": "biliary"}}
    case = kb.parse_case(base)
    assert case.get("diagnosis.subsection") == "gallbladder"
    assert case.derived == (("diagnosis.subsection", "diagnosis.icd10"),)
    # with no section, the code proposes both, the subsection within the proposed section
    both = kb.parse_case({"id": "c22", "diagnosis": {"icd10": "C22.1"}})
    assert (both.get("diagnosis.section"), both.get("diagnosis.subsection")) == (
        "biliary", "intrahepatic_cholangiocarcinoma")
    assert both.derived == (("diagnosis.section", "diagnosis.icd10"), ("diagnosis.subsection", "diagnosis.icd10"))
    # a documented subsection is never replaced; a code of another section, or with no subsection, proposes none
    documented = kb.parse_case({"id": "d", "diagnosis": {"icd10": "C23", "section": "biliary",
                                                          "subsection": "extrahepatic_cholangiocarcinoma"}})
    assert (documented.get("diagnosis.subsection"), documented.derived) == ("extrahepatic_cholangiocarcinoma", ())
    other = kb.parse_case({"id": "o", "diagnosis": {"icd10": "C23", "section": "soft_tissue_sarcoma"}})
    assert (other.get("diagnosis.subsection"), other.derived) == (None, ())
    none = kb.parse_case({"id": "n", "diagnosis": {"icd10": "C25"}})
    assert (none.get("diagnosis.section"), none.get("diagnosis.subsection")) == ("pancreatic", None)


def test_a_proposed_subsection_narrows_the_candidates_and_the_decision_notes_it(kb):
    data = {"id": "c23", "request": "initial", "patient": {"age": 64}, "prescriber": "oncologist",
            "diagnosis": {"icd10": "C23", "section": "biliary"}, "biomarker": {"ntrk_fusion": "positive"},
            "disease": {"metastatic": True}, "treatment": {"line": 1, "regimen": "single_agent", "intent": "primary"},
            "history": {"prior_therapies": [], "progressed_on": []}}
    d = kb.decide(kb.parse_case(data))
    assert (d.outcome, [p.id for p in d.approved]) == ("approve", ["biliary.4"])
    assert not any(p.id.startswith(("biliary.6", "biliary.7")) for p in d.pathways)  # cholangiocarcinoma's
    assert ("Note: diagnosis.subsection = gallbladder is proposed by diagnosis.icd10 = C23 in the policy's code "
            "table") in kb.text(d)
