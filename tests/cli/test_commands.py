"""laro_kb.cli: whole outputs of each command, and exit status 2 with one line for unusable input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from laro_kb import __version__
from laro_kb.cli import main

from ..conftest import EXAMPLES, KB_DIR


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_file()))
def test_decide_prints_the_decision_of_each_example(golden, example):
    result = run("decide", EXAMPLES / example)
    assert result.exit_code == 0, result.output
    golden(f"decide-{example}.txt", result.output)


def test_decide_json_is_the_documented_machine_form():
    result = run("decide", EXAMPLES / "nsclc-missing-ntrk.json", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["schema"] == "laro-kb/decision/1"
    assert data["decision"] == "pend" and data["approved"] == []
    assert data["needs"]["nsclc.3a"] == ["biomarker.ntrk_fusion"]
    assert {"id", "verdict", "citation", "criteria", "needs"} <= set(data["pathways"][0])


def test_version():
    assert run("--version").output == f"laro-kb, version {__version__}\n"


def test_pathways_lists_every_pathway_with_its_source(kb):
    result = run("pathways", "--json")
    data = json.loads(result.output)
    assert [p["id"] for p in data] == list(kb.pathways)
    assert all(p["source"] and p["text"] for p in data)


def test_pathways_of_one_section(golden):
    result = run("pathways", "--section", "nsclc")
    assert result.exit_code == 0
    golden("pathways-nsclc.txt", result.output)


def test_an_unknown_section_suggests_the_nearest():
    result = run("pathways", "--section", "nsclcc")
    assert result.exit_code == 2
    assert result.output == "laro-kb: error: no section 'nsclcc' (did you mean 'nsclc'?)\n"


def test_every_problem_of_a_bad_case_is_one_line_each_and_exit_2(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "r2", "biomarker": {"ntrk_fusion": "postive", "mmr_msi": "MSS-ish"},
                                "diagnosis": {"icd10": "lung"}}))
    result = run("decide", path)
    assert result.exit_code == 2
    assert result.output == (
        f"laro-kb: error: {path}: record r2: field 'biomarker.ntrk_fusion': 'postive' is not a valid term "
        "(did you mean 'positive'?)\n"
        f"laro-kb: error: {path}: record r2: field 'biomarker.mmr_msi': 'MSS-ish' is not a valid term; valid terms: "
        "dmmr_msi_h, pmmr_mss\n"
        f"laro-kb: error: {path}: record r2: field 'diagnosis.icd10': 'lung' is not an ICD-10 code such as C34.90 "
        "(or C3490)\n")


def test_a_bad_case_is_one_line_naming_file_record_field_and_term(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": "r1", "biomarker": {"ntrk_fusion": "postive"}}))
    result = run("decide", path)
    assert result.exit_code == 2
    assert result.output == (f"laro-kb: error: {path}: record r1: field 'biomarker.ntrk_fusion': 'postive' is not a "
                             "valid term (did you mean 'positive'?)\n")
    assert "Traceback" not in result.output


def test_a_missing_case_file_is_an_error_not_a_traceback(tmp_path):
    result = run("decide", tmp_path / "none.json")
    assert result.exit_code == 2 and "no such file" in result.output


def test_kb_option_uses_another_copy(tmp_path):
    import shutil
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    (copy / "pathways" / "renewal.dl").unlink()
    result = run("decide", EXAMPLES / "renewal.json", "--kb", copy)
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "Case example-renewal: DENY"


def test_a_kb_that_is_not_datalog_exits_2(tmp_path):
    (tmp_path / "x.dl").write_text("import os\n")
    result = run("pathways", "--kb", tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"laro-kb: error: {tmp_path / 'x.dl'}:1: only Datalog facts and rules")


def test_python_dash_m_runs_the_same_cli():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "laro_kb", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout == f"laro-kb, version {__version__}\n"


def test_why_markdown_is_the_golden_denial_letter(golden):
    result = run("why", EXAMPLES / "hematologic-malignancy.json", "--format", "markdown")
    assert result.exit_code == 0
    golden("cli-why-hematologic.md", result.output)


def test_whynot_names_the_change_that_would_approve():
    result = run("whynot", EXAMPLES / "nsclc-missing-ntrk.json", "nsclc.3a", "--depth", "1")
    assert result.exit_code == 0
    assert result.output.splitlines()[3] == ("  would be approved under nsclc.3a if biomarker.ntrk_fusion were positive "
                                             "[nsclc.3a; NCCN ref 16]")


def test_whynot_an_unknown_pathway_suggests_the_nearest():
    result = run("whynot", EXAMPLES / "nsclc-missing-ntrk.json", "nsclc.3c")
    assert result.exit_code == 2
    assert result.output.startswith("laro-kb: error: no pathway 'nsclc.3c' (did you mean 'nsclc.3")
