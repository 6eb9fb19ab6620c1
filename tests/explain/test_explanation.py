"""laro_kb.explain.explanation: why approved, why denied or pended (every candidate, every criterion), with citations."""

from __future__ import annotations

from laro_kb.author.testing.cases import load_tests

from ..conftest import CASES, EXAMPLES


def crit(p, k):
    return next(c for c in p.criteria if c.criterion == k)


def test_why_approved_shows_each_criterion_with_the_facts_that_met_it_and_the_citation(kb):
    e = kb.explain(EXAMPLES / "nsclc-first-line.json")
    p = e.pathways[0]
    assert (e.outcome, p.id, p.verdict, p.change) == ("approve", "nsclc.3a", "approved", None)
    age = crit(p, "age.at_least_18")
    assert (age.status, age.comparisons, age.text) == ("met", ("58 >= 18",), "At least 18 years of age")
    assert [(f.field, f.value) for f in age.facts] == [("patient.age", 58)]
    assert p.pathway.citation == "Non-Small Cell Lung Cancer, criterion 3a; NCCN Guidelines, policy reference 16"
    assert p.pathway.text.startswith("Single-agent therapy for recurrent, advanced, or metastatic disease")


def test_why_denied_covers_every_candidate_including_the_fda_pathway(kb):
    e = kb.explain(EXAMPLES / "hematologic-malignancy.json")
    assert e.outcome == "deny"
    assert {p.id for p in e.pathways} == {"solid_tumors.fda", "renewal.2"}
    fda = next(p for p in e.pathways if p.id == "solid_tumors.fda")
    solid = crit(fda, "solid_tumor")
    assert solid.status == "not_met"
    documented = crit(fda, "solid_tumor").parts[1].parts[1]
    assert (documented.criterion, documented.status) == ("solid_tumor.documented", "not_met")
    assert [(f.field, f.value) for f in documented.facts] == [("diagnosis.solid_tumor", False)]


def test_not_met_shows_the_contradicting_value_and_the_bound(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json").with_values(**{"patient.age": 17})
    p = kb.explain(case, ["nsclc.3a"]).pathways[0]
    age = crit(p, "age.at_least_18")
    assert (age.status, age.comparisons, age.rule) == ("not_met", ("17 < 18",), "patient.age >= 18")
    assert [(f.field, f.value) for f in age.facts] == [("patient.age", 17)]


def test_not_documented_is_kept_apart_from_documented_as_not_met(kb):
    base = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    unknown = crit(kb.explain(base.with_values(**{"biomarker.ntrk_fusion": None}), ["nsclc.3a"]).pathways[0],
                   "ntrk_fusion_positive")
    negative = crit(kb.explain(base.with_values(**{"biomarker.ntrk_fusion": "negative"}), ["nsclc.3a"]).pathways[0],
                    "ntrk_fusion_positive")
    assert (unknown.status, unknown.missing, unknown.facts) == ("unknown", ("biomarker.ntrk_fusion",), ())
    assert (negative.status, negative.missing) == ("not_met", ())
    assert [(f.field, f.value) for f in negative.facts] == [("biomarker.ntrk_fusion", "negative")]


def test_the_pathways_closest_to_approval_come_first(kb):
    e = kb.explain(EXAMPLES / "nsclc-missing-ntrk.json")
    assert [p.id for p in e.pathways][:2] == ["nsclc.3a", "solid_tumors.fda"]
    assert [p.verdict for p in e.pathways] == sorted((p.verdict for p in e.pathways),
                                                     key=["approved", "pending", "denied"].index)


def test_the_smallest_change_that_would_approve_a_pathway_is_given(kb):
    p = kb.explain(EXAMPLES / "nsclc-missing-ntrk.json", ["nsclc.3a"]).pathways[0]
    assert p.change.sets == (("biomarker.ntrk_fusion", "positive"),) and p.change.verified
    assert p.change.describe() == "biomarker.ntrk_fusion were positive"


def test_facts_that_cannot_change_are_never_proposed(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json").with_values(**{"biomarker.ntrk_fusion": "negative"})
    p = kb.explain(case, ["nsclc.3a"]).pathways[0]
    assert p.change.sets == () and not p.change.verified
    assert "biomarker.ntrk_fusion (documented negative)" in p.change.describe()


def test_an_ecog_bound_is_proposed_at_the_bound(kb):
    case = kb.case("e", request="initial", age=60, prescriber="oncologist", section="esophageal",
                   ntrk_fusion="positive", regimen="single_agent", metastatic=True, surgical_candidate=False,
                   ecog=3, karnofsky=50, prior_therapies=[])
    p = next(p for p in kb.explain(case).pathways if p.id == "esophageal.3")
    assert p.verdict == "denied"
    assert p.change.verified and ("performance.ecog", 2) in p.change.sets


def test_decision_why_and_whynot_return_what_the_cli_prints(kb, capsys):
    from click.testing import CliRunner

    from laro_kb.cli import main
    path = str(EXAMPLES / "nsclc-missing-ntrk.json")
    d = kb.decide(path)
    why, whynot, letter = d.why(), d.whynot("nsclc.3a"), d.why(format="letter")
    assert capsys.readouterr().out == ""  # returned, not printed
    assert isinstance(why, str) and repr(why) == why  # at the >>> prompt it shows as the tree itself
    assert why + "\n" == CliRunner().invoke(main, ["why", path]).output
    assert whynot + "\n" == CliRunner().invoke(main, ["whynot", path, "nsclc.3a"]).output
    assert letter + "\n" == CliRunner().invoke(main, ["why", path, "--format", "letter"]).output
    assert letter.startswith("# Coverage determination: Larotrectinib (Vitrakvi®)\n")


def test_a_drug_name_is_shown_as_written_with_the_class_it_stands_for(kb):
    from laro_kb.render.explanation import explanation_text
    case = kb.parse_case({"id": "p", "request": "initial", "patient": {"age": 62}, "prescriber": "oncologist",
                          "diagnosis": {"section": "colon"},
                          "biomarker": {"ntrk_fusion": "positive", "mmr_msi": "dmmr_msi_h"},
                          "disease": {"advanced": True}, "treatment": {"line": 2, "regimen": "single_agent"},
                          "history": {"prior_therapies": ["pembrolizumab"], "progressed_on": ["pembrolizumab"]}})
    text = explanation_text(kb.explain(case, ["colon.3"]))
    assert "[met] progressed on checkpoint inhibitor immunotherapy: history.progressed_on = " \
           "pembrolizumab (checkpoint inhibitor)" in text


def case_of(kb, file: str, starts: str):
    """The case of the author test in tests/cases/FILE whose sentence starts with ``starts``."""
    test = next(t for t in load_tests(CASES / file) if t.name.startswith(starts))
    return kb.parse_case(test.case, file=test.file, record=test.name)


def test_a_criterion_met_by_derivation_names_its_source_the_policys_words_and_why(kb):
    p = kb.explain(EXAMPLES / "biliary-first-line.yaml", ["biliary.4"]).pathways[0]
    primary = crit(p, "biliary.primary_treatment")
    d = primary.derived
    assert (primary.status, p.verdict, d.derivation.kind, d.source.criterion, d.source.status) == (
        "met", "approved", "implied", "biliary.first_line_advanced", "met")
    assert d.derivation.texts == ("Primary treatment for unresectable or gross residual (R2) disease, or metastatic "
                                  "disease", "Subsequent treatment for progression on or after systemic treatment for "
                                  "unresectable or gross residual (R2) disease, or metastatic disease")
    assert "first-line therapy follows no systemic treatment" in d.derivation.reason
    assert [(c.criterion, c.status) for c in d.source.parts] == [
        ("biliary.unresectable_r2_metastatic", "met"), ("line.first", "met")]
    assert crit(p, "single_agent").derived is None  # a criterion met by its own field is not derived


def test_a_documented_intent_decides_and_no_derivation_is_shown(kb):
    case = kb.read_case(EXAMPLES / "biliary-first-line.yaml").with_values(**{"treatment.intent": "adjuvant"})
    primary = crit(kb.explain(case, ["biliary.4"]).pathways[0], "biliary.primary_treatment")
    assert (primary.status, primary.derived) == ("not_met", None)
    assert [(f.field, f.value) for f in primary.facts] == [("treatment.intent", "adjuvant")]


def test_an_exclusion_cleared_by_a_derivation_shows_it_in_text_and_json(kb, golden):
    from laro_kb.render.explanation import explanation_dict, explanation_text
    case = case_of(kb, "pediatric_cns.yaml", "a 10-year-old with a recurrent H3 K27-altered diffuse midline glioma")
    e = kb.explain(case, ["pediatric_cns.4"])
    excluded = crit(e.pathways[0], "pediatric_cns.idh_mutant_glioma")
    idh = next(c for c in excluded.parts if c.criterion == "pediatric_cns.idh_mutant")
    assert (e.outcome, excluded.status, idh.status, idh.derived.derivation.kind) == (
        "approve", "clear", "not_met", "ruled_out")
    text = explanation_text(e)
    assert "[not met] IDH-mutant (astrocytoma, IDH-mutant): not met by derivation from diffuse midline glioma, H3 " \
           "K27-altered (biomarker.h3k27_altered = true)" in text
    golden("why-derived-h3k27-glioma.txt", text + "\n")
    parts = next(c for c in explanation_dict(e)["pathways"][0]["criteria"]
                 if c["criterion"] == "pediatric_cns.idh_mutant_glioma")["parts"]
    part = next(c for c in parts if c["criterion"] == "pediatric_cns.idh_mutant")
    assert (part["status"], part["derived"]["kind"], part["derived"]["from"], part["derived"]["source"]["status"]) \
        == ("not_met", "ruled_out", "pediatric_cns.h3k27_altered", "met")


def test_a_derivation_an_excepting_criterion_stops_says_why_in_text_and_json(kb, golden):
    """First-line therapy of metastatic disease would imply "primary treatment", but documented progression on
    chemotherapy stops that reading (unless/2): the criterion stays unknown, and the explanation says why."""
    from laro_kb.render.explanation import explanation_dict, explanation_text
    case = case_of(kb, "biliary.yaml", "an unresectable gallbladder patient documented as first-line but with "
                                       "progression on chemotherapy")
    e = kb.explain(case, ["biliary.4"])
    primary = crit(e.pathways[0], "biliary.primary_treatment")
    (b,) = primary.blocked
    assert (e.outcome, e.pathways[0].verdict, primary.status, primary.derived) == ("pend", "pending", "unknown", None)
    assert (b.derivation.source, b.source.status, b.by.criterion, b.by.status, b.documented) == (
        "biliary.first_line_advanced", "met", "progressed_on_systemic", "met", ())
    text = explanation_text(e)
    assert ("primary treatment: not documented: treatment.intent; first-line therapy of unresectable, gross residual "
            "(R2) or metastatic disease would imply it, but progression on or after systemic therapy holds, which "
            "stops that reading") in text
    assert "not derived, since: progression on or after systemic therapy: history.progressed_on = " in text
    golden("why-blocked-derivation-biliary.txt", text + "\n")
    (blocked,) = next(c for c in explanation_dict(e)["pathways"][0]["criteria"]
                      if c["criterion"] == "biliary.primary_treatment")["blocked"]
    assert (blocked["kind"], blocked["from"], blocked["by"]["criterion"], blocked["documented"]) == (
        "implied", "biliary.first_line_advanced", "progressed_on_systemic", [])


def test_a_derivation_stopped_by_the_criterions_own_documented_field_is_not_shown(kb):
    case = kb.read_case(EXAMPLES / "biliary-first-line.yaml").with_values(**{"treatment.intent": "adjuvant"})
    primary = crit(kb.explain(case, ["biliary.4"]).pathways[0], "biliary.primary_treatment")
    assert (primary.status, primary.derived, primary.blocked) == ("not_met", None, ())
