"""laro_kb.author.check and laro_kb.author.semantic: the shipped kb is clean, and each seeded defect is found."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from laro_kb.author.check import run_check, run_static
from laro_kb.cli import main

from ..conftest import EXAMPLES, KB_DIR


@pytest.fixture
def shipped(shipped_check):
    return shipped_check


def test_the_shipped_kb_has_no_errors_and_only_the_policys_drafting_warnings(shipped):
    assert shipped.ok and shipped.count("error") == 0
    assert sorted({f.code for f in shipped.findings if f.severity == "warning"}) == [
        "policy-citation-misprint", "section-without-code", "subsumed-pathway", "threshold-disagreement"]
    assert sorted({f.code for f in shipped.findings if f.severity == "info"}) == [
        "always-met", "criterion-never-matters", "option-never-matters", "unnumbered-criterion"]
    age = next(f for f in shipped.findings if f.code == "threshold-disagreement")
    assert "age.at_least_18 includes 18 but age.greater_than_18 excludes it" in age.message
    assert "not in thyroid, uterine, vaginal, vulvar" in age.message
    misprint = next(f for f in shipped.findings if f.code == "policy-citation-misprint")
    assert "reference 111 after section Gastric Cancer" in misprint.message and misprint.file.endswith("gastric.dl")
    assert {f.pathway for f in shipped.findings if f.code == "subsumed-pathway"} == {
        "neuroendocrine.3", *(f"occult_primary.3{o}" for o in "abcdef")}
    assert {f.pathway for f in shipped.findings if f.code == "unnumbered-criterion"} == {
        "biliary.5", "biliary.9", "cns.3", "melanoma.3", "pediatric_cns.4"}
    assert all(f.fix and (f.file or f.code in ("section-without-code", "threshold-disagreement"))
               for f in shipped.findings)


def test_a_negation_of_itself_is_reported_with_its_rules_and_the_kb_is_not_loaded(tmp_path, seeded):
    r = seeded(tmp_path, "logic.dl", "approvable(C) <= verdict(C, _P, 'approved')",
               "approvable(C) <= verdict(C, _P, 'approved') & ~approvable(C)")
    (f,) = [f for f in r.findings if f.code == "negation-cycle"]
    assert f.severity == "error" and f.file.endswith("logic.dl") and "~approvable(C)" in f.message
    assert r.kb is None and r.pathways == 0
    r = seeded(tmp_path / "2", "setting.dl", "+ not_('asymptomatic', 'symptomatic')",
               "+ not_('asymptomatic', 'asymptomatic')")
    (f,) = [f for f in r.findings if f.code == "criterion-cycle"]
    assert "through not_" in f.message and f.file.endswith("setting.dl")


def test_the_criteria_recursion_of_logic_dl_is_not_a_negation_cycle(shipped):
    assert not [f for f in shipped.findings if f.code == "negation-cycle"]


def test_a_pathway_text_that_is_not_the_policys_is_found_with_the_policys_words(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/gist.dl", "Neoadjuvant therapy as a single agent to", "Neoadjuvant therapy to")
    (f,) = [f for f in r.findings if f.code == "policy-text-mismatch"]
    assert f.pathway == "gist.3" and f.file.endswith("gist.dl") and "Neoadjuvant therapy as a single agent" in f.fix


def test_a_criterion_every_patient_meets_is_reported_as_met_without_its_field_where_it_is_defined(shipped):
    always = [f for f in shipped.findings if f.code == "always-met"]
    assert [f.severity for f in always] == ["info"]
    assert "criterion age.adult_or_pediatric" in always[0].message and "met without that field" in always[0].message
    defined = next(i for i, line in enumerate((KB_DIR / "eligibility.dl").read_text().splitlines(), 1)
                   if line.startswith("+ at_least('age.adult_or_pediatric'"))
    assert (always[0].file.endswith("eligibility.dl"), always[0].line) == (True, defined)
    assert str(always[0]).startswith(f"info: eligibility.dl:{defined}: criterion age.adult_or_pediatric")


def test_the_shipped_derivations_cite_the_policy_and_could_only_count_for_approval(shipped):
    kb = shipped.kb
    assert {k: [(d.kind, d.source) for d in ds] for k, ds in kb.derivations.items()} == {
        "biliary.primary_treatment": [("implied", "biliary.first_line_advanced")],
        "no_resistance_mutation": [("implied", "no_prior_ntrk_inhibitor")],
        "pediatric_cns.idh_mutant": [("ruled_out", "pediatric_cns.h3k27_altered")]}
    assert all(d.texts and d.reason for ds in kb.derivations.values() for d in ds)
    assert not [f for f in shipped.findings if "derivation" in f.code]


def test_a_criterion_derived_from_itself_is_a_cycle_and_the_kb_is_not_loaded(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/pediatric_cns.dl", "",
               "+ ruled_out('pediatric_cns.h3k27_altered', 'pediatric_cns.idh_mutant')\n", append=True)
    (f,) = [f for f in r.findings if f.code == "derivation-cycle"]
    assert f.severity == "error" and f.file.endswith("pediatric_cns.dl") and r.kb is None
    assert "pediatric_cns.h3k27_altered, pediatric_cns.idh_mutant are derived from themselves" in f.message


def test_a_kb_with_no_derivation_blocker_is_still_clean_and_decides(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    for path in ("biomarker.dl", "pathways/biliary.dl", "pathways/pediatric_cns.dl"):
        text = (copy / path).read_text()
        (copy / path).write_text("\n".join(line for line in text.splitlines() if not line.startswith("+ unless(")))
    r = run_static(copy)[0]
    assert not [f for f in r if f.severity == "error"]
    result = CliRunner().invoke(main, ["decide", "--kb", str(copy), str(EXAMPLES / "biliary-first-line.yaml")])
    assert result.exit_code == 0 and "APPROVE" in result.output


def test_a_derivation_without_the_policys_words_or_a_reason_is_found(tmp_path, seeded):
    r = seeded(tmp_path, "biomarker.dl", "+ derivation_reason('no_resistance_mutation'", "# ")
    (f,) = [f for f in r.findings if f.code == "derivation-without-citation"]
    assert f.file.endswith("biomarker.dl") and "with no derivation_reason" in f.message
    assert f.fix == ("add + derivation_reason('no_resistance_mutation', 'no_prior_ntrk_inhibitor', "
                     "'<why, in a reviewer's words>')")


def test_a_derivation_that_could_deny_never_applies_or_misquotes_the_policy_is_found(tmp_path):
    """One seeded kb, checked without the rest of the semantic checks: the three defects of a derivation."""
    from laro_kb.author.policy import policy_findings
    from laro_kb.author.semantic import _derivations
    from laro_kb.knowledgebase import KnowledgeBase
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    with open(copy / "exclusion.dl", "a") as f:
        f.write("+ implied('prior_larotrectinib', 'line.first')\n"
                "+ derivation_text('prior_larotrectinib', 'line.first', 'if not given before')\n"
                "+ derivation_reason('prior_larotrectinib', 'line.first', 'a first line follows no larotrectinib')\n"
                "+ all_('adult_child', 'age.at_least_18')\n+ all_('adult_child', 'age.less_than_18')\n"
                "+ label('adult_child', 'an adult child')\n+ implied('single_agent', 'adult_child')\n"
                "+ derivation_text('single_agent', 'adult_child', 'as a single agent')\n"
                "+ derivation_reason('single_agent', 'adult_child', 'never')\n")
    kb = KnowledgeBase(copy)
    found = {(f.code, f.message.split(",")[0]) for f in _derivations(kb) + policy_findings(kb)
             if "derivation" in f.code}
    assert found == {
        ("derivation-against-approval", "criterion prior_larotrectinib is met by derivation from line.first"),
        ("derivation-never-applies", "criterion single_agent is met by derivation from adult_child"),
        ("derivation-text-mismatch", "the derivation of prior_larotrectinib from line.first cites 'if not given "
                                     "before'")}


@pytest.fixture
def seeded(witness_reference):
    """laro-kb check of a copy of the kb with one edit, lent the shipped kb's witnesses that the edit cannot change
    (laro_kb.author.reference: the same findings, found sooner)."""
    def check(tmp_path, path: str, old: str, new: str, append: bool = False):
        copy = tmp_path / "kb"
        shutil.copytree(KB_DIR, copy)
        target = copy / path
        text = target.read_text()
        if append:
            target.write_text(text + new)
        else:
            assert old in text
            target.write_text(text.replace(old, new, 1))
        return run_check(copy, witness_reference)
    return check


def codes(report, severity="error"):
    return {f.code for f in report.findings if f.severity == severity}


def test_a_misspelled_predicate_is_found_with_a_suggestion(tmp_path, seeded):
    r = seeded(tmp_path, "logic.dl", "needs(C, P, F) <= gap(C, P, _K, F)", "needs(C, P, F) <= gapp(C, P, _K, F)")
    f = next(f for f in r.findings if f.code == "undefined-predicate")
    assert f.file.endswith("logic.dl") and f.line and "gapp/4" in f.message and f.fix == "did you mean 'gap'?"
    assert not r.ok


def test_a_wrong_arity_is_found(tmp_path, seeded):
    r = seeded(tmp_path, "logic.dl", "open_(C, P) <= requires(P, K) & case(C) & ~holds(C, K)",
               "open_(C, P) <= requires(P, K) & case(C) & ~holds(C, K, P)")
    assert "arity-mismatch" in codes(r)


def test_a_misspelled_criterion_in_a_pathway_is_found(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/nsclc.dl", "+ line('nsclc.3a', 'line.first')", "+ line('nsclc.3a', 'line.frist')")
    f = next(f for f in r.findings if f.code == "undefined-criterion")
    assert f.pathway == "nsclc.3a" and f.fix == "did you mean 'line.first'?" and f.file.endswith("nsclc.dl")


def test_an_impossible_pair_of_criteria_is_a_dead_pathway_with_its_conflict(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/nsclc.dl", "", "+ eligibility('nsclc.3a', 'age.less_than_18')\n", append=True)
    f = next(f for f in r.findings if f.code == "dead-pathway")
    assert f.pathway == "nsclc.3a" and "age.at_least_18, age.less_than_18" in f.message


def test_a_pathway_that_fires_only_when_excluded_is_found(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/nsclc.dl", "",
               "+ exclusion('nsclc.3b', 'progressed_on_systemic')\n", append=True)
    f = next(f for f in r.findings if f.code == "excluded-always")
    assert f.pathway == "nsclc.3b" and "progressed_on_systemic" in f.message


def test_a_duplicated_pathway_is_found(tmp_path, seeded):
    block = """
+ pathway('nsclc.3c', 'nsclc', 3, 'c')
+ policy_text('nsclc.3c', 'Single-agent therapy for recurrent, advanced, or metastatic disease')
+ regimen('nsclc.3c', 'single_agent')
+ setting('nsclc.3c', 'nsclc.recurrent_advanced_metastatic')
+ biomarker('nsclc.3c', 'ntrk_fusion_positive')
+ line('nsclc.3c', 'line.first')
"""
    r = seeded(tmp_path, "pathways/nsclc.dl", "", block, append=True)
    f = next(f for f in r.findings if f.code == "duplicate-pathway")
    assert {f.pathway for f in r.findings if f.code == "duplicate-pathway"} == {"nsclc.3a"}
    assert "nsclc.3c" in f.message
    again = seeded(tmp_path / "again", "pathways/nsclc.dl", "", "\n+ pathway('nsclc.3a', 'nsclc', 3, 'b')\n",
                   append=True)
    assert "duplicate-pathway" in codes(again)


def test_a_removed_citation_is_found(tmp_path, seeded):
    r = seeded(tmp_path, "pathways/nsclc.dl", "+ section('nsclc', 'Non-Small Cell Lung Cancer', 'nccn', 16)",
               "+ section('nsclc', 'Non-Small Cell Lung Cancer', 'nccn', 99)")
    assert "missing-citation" in codes(r)
    r = seeded(tmp_path / "2", "pathways/nsclc.dl", "+ policy_text('nsclc.3b',", "+ policy_textt('nsclc.3b',")
    assert "missing-text" in codes(r)


def test_a_python_import_is_refused_before_anything_runs(tmp_path, seeded):
    marker = tmp_path / "ran"
    r = seeded(tmp_path, "pathways/nsclc.dl", "", f"\nimport os\nos.system('touch {marker}')\n", append=True)
    f = next(f for f in r.findings if f.code == "not-datalog")
    assert f.severity == "error" and f.file.endswith("nsclc.dl") and "import statement" in f.message
    assert not marker.exists()


@pytest.mark.parametrize("literals", [1200, 5000])
def test_a_rule_of_thousands_of_literals_is_an_error_finding_and_exit_1_not_a_traceback(tmp_path, literals):
    body = " & ".join(f"val(C, 'f{i}', X{i})" for i in range(literals))
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    (copy / "pathways" / "big.dl").write_text(f"big(C) <= case(C) & {body}\n")
    result = CliRunner().invoke(main, ["check", "--kb", str(copy)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.splitlines()[1].startswith("error: big.dl") and "(not-datalog)" in result.output
    assert "split a longer rule" in result.output and result.output.splitlines()[-1].startswith("1 errors")
    decide = CliRunner().invoke(main, ["decide", "--kb", str(copy), str(EXAMPLES / "renewal.json")])
    assert decide.exit_code == 2 and decide.output.startswith(f"laro-kb: error: {copy / 'pathways' / 'big.dl'}")


def test_an_unknown_term_and_an_unsafe_negation_are_found(tmp_path, seeded):
    r = seeded(tmp_path, "biomarker.dl", "is_('ntrk_fusion_positive', 'biomarker.ntrk_fusion', 'positive')",
               "is_('ntrk_fusion_positive', 'biomarker.ntrk_fusion', 'postive')")
    f = next(f for f in r.findings if f.code == "unknown-term")
    assert f.fix == "did you mean 'positive'?"
    r = seeded(tmp_path / "2", "logic.dl", "approvable(C) <= verdict(C, _P, 'approved')",
               "approvable(C) <= ~pendable(C) & verdict(C, _P, 'approved')")
    assert "unbound-negation" in codes(r)


def test_the_cli_exits_1_on_errors_and_prints_json(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    (copy / "pathways" / "nsclc.dl").write_text((copy / "pathways" / "nsclc.dl").read_text()
                                                .replace("'line.first')", "'line.frist')"))
    result = CliRunner().invoke(main, ["check", "--kb", str(copy), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["counts"]["error"] >= 1 and any(f["code"] == "undefined-criterion" for f in data["findings"])
    ok = CliRunner().invoke(main, ["check"])
    assert ok.exit_code == 0 and ok.output.splitlines()[-1] == "0 errors, 14 warnings, 12 info"
