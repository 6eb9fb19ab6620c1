"""laro-kb test: decision tests written as data, the pytest-like report, and the coverage of the policy."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from laro_kb.author.testing import run as runner
from laro_kb.author.testing.cases import load_tests
from laro_kb.cli.testrun import test_command as command
from laro_kb.errors import CaseError

from ..conftest import CASES, KB_DIR

NSCLC_BASE = """\
base:
  request: initial
  patient: {age: 58}
  prescriber: oncologist
  diagnosis: {section: nsclc, stage: IV}
  biomarker: {ntrk_fusion: positive, acquired_resistance_mutation: false}
  disease: {metastatic: true}
  treatment: {line: 1, regimen: single_agent, satisfactory_alternative: false}
  history: {prior_therapies: [], progressed_on: []}
tests:
"""
CLOSING = re.compile(r"^\d+ passed, \d+ failed in \d+\.\d\ds$")


def write(tmp_path, name: str, tests: str, base: str = NSCLC_BASE):
    path = tmp_path / name
    path.write_text(base + tests, encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(command, [str(a) for a in args] + ["--kb", str(KB_DIR)])


def ages(*years, decision="approve"):
    return "".join(f"  - name: a {y}-year-old with NSCLC should get a decision\n    case: {{patient: {{age: {y}}}}}\n"
                   f"    expect: {{decision: {decision}}}\n" for y in years)


def test_a_failing_test_exits_1_and_the_failures_name_its_sentence_and_problem(tmp_path):
    path = write(tmp_path, "wrong.yaml", """\
  - name: an adult with metastatic NTRK-positive NSCLC should be approved under nsclc.3a
    expect: {decision: approve, approved: [nsclc.3a, solid_tumors.fda]}
  - name: a 17-year-old with NSCLC should be approved under nsclc.3a
    case: {patient: {age: 17}}
    expect: {decision: approve, approved: [nsclc.3a]}
""")
    result = invoke(path, "--no-coverage")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path} .F ") and lines[0].endswith("[100%]")
    failures = result.output[result.output.index(" FAILURES "):]
    assert " a 17-year-old with NSCLC should be approved under nsclc.3a " in failures
    assert f"{path}:2\n" in failures
    assert "E   approved: expected ['nsclc.3a'], got ['solid_tumors.fda']" in failures
    assert f"FAILED {path}:2 - a 17-year-old with NSCLC should be approved under nsclc.3a" in result.output
    assert CLOSING.match(lines[-1]) and lines[-1].startswith("1 passed, 1 failed in ")


def test_a_passing_file_exits_0_and_ends_with_the_closing_line(tmp_path):
    path = write(tmp_path, "ok.yaml", ages(18, 40))
    result = invoke(path)
    assert result.exit_code == 0, result.output
    assert "FAILURES" not in result.output
    last = result.output.splitlines()[-1]
    assert CLOSING.match(last) and last.startswith("2 passed, 0 failed in ")


def test_unusable_tests_are_errors_that_name_the_file_the_test_and_the_field(kb, tmp_path):
    path = write(tmp_path, "bad.yaml", """\
  - name: a case with a misspelt field
    case: {patient: {agee: 3}}
    expect: {decision: approve}
  - name: an expectation naming a pathway the kb does not have
    expect: {decision: approve, verdicts: {nsclc.3z: denied}}
  - name: an expectation with a key the format does not have
    expect: {decision: approve, deciding: x}
  - name: a good test still runs
    expect: {decision: approve}
""")
    broken = tmp_path / "broken.yaml"
    broken.write_text("tests: [\n", encoding="utf-8")
    run = runner.run(kb, [tmp_path], coverage=False)
    by_name = {r.name: r for r in run.results}
    assert [(r.file, r.index, r.status) for r in run.results] == [
        (str(path), 1, "error"), (str(path), 2, "error"), (str(path), 3, "error"), (str(path), 4, "passed"),
        (str(broken), 0, "error")]
    assert by_name["(the test file)"].file == str(broken) and "is not valid YAML" in by_name["(the test file)"].problems[0]
    assert by_name["a case with a misspelt field"].problems == (
        f"{path}: record a case with a misspelt field: field 'patient.agee': is not a field of the case format "
        "(did you mean 'patient.age'?)",)
    problem = by_name["an expectation naming a pathway the kb does not have"].problems[0]
    assert "field 'expect.verdicts'" in problem and "'nsclc.3z'" in problem and "did you mean 'nsclc.3" in problem
    assert "field 'expect.deciding'" in by_name["an expectation with a key the format does not have"].problems[0]
    assert (run.passed, run.failed, run.ok) == (1, 4, False)


def test_the_loader_still_refuses_a_whole_file_with_one_unusable_test(tmp_path):
    path = write(tmp_path, "bad.yaml", "  - name: no decision\n    expect: {approved: []}\n")
    with pytest.raises(CaseError, match="expect needs 'decision'"):
        load_tests(path)


def test_coverage_of_a_tiny_file_names_exactly_the_pathways_approved_and_missed(kb, tmp_path):
    path = write(tmp_path, "tiny.yaml", ages(58) + ages(17))
    cov = runner.run(kb, [path]).coverage
    approved = {p.id for p in cov.pathways if p.approved}
    missed = {p.id for p in cov.pathways if p.missed}
    assert approved == {"nsclc.3a", "solid_tumors.fda"}
    assert missed == {"nsclc.3a", "nsclc.3b", "renewal.2"}
    assert [p.id for p in cov.pathways if p.covered] == ["nsclc.3a"]
    assert cov.pathway_percent == pytest.approx(100 / len(kb.pathways))
    text = invoke(path).output
    assert "pathways no test approved: 2\n    nsclc: nsclc.3b\n    renewal: renewal.2\n" in text
    assert "pathways no test missed: 1\n    solid_tumors: solid_tumors.fda\n" in text
    assert f"pathways no test reached: {len(kb.pathways) - 4}\n" in text


def test_criteria_and_exclusions_are_counted_by_status(kb, tmp_path):
    path = write(tmp_path, "tiny.yaml", ages(58) + ages(17))
    crits = {c.id: c for c in runner.run(kb, [path]).coverage.criteria}
    assert dict(crits["age.at_least_18"].counts) == {"met": 1, "not_met": 1}  # one test each, though two pathways use it
    assert crits["age.at_least_18"].covered and crits["age.at_least_18"].kind == "requirement"
    assert crits["section.nsclc"].seen(0) and not crits["section.nsclc"].seen(1)
    assert crits["prior_larotrectinib"].kind == "exclusion" and not crits["prior_larotrectinib"].reached


def test_a_threshold_tested_at_and_around_its_bound_is_covered(kb, tmp_path):
    path = write(tmp_path, "ages.yaml", ages(17, 18, 19))
    th = {t.criterion: t for t in runner.run(kb, [path]).coverage.thresholds}
    adult = th["age.at_least_18"]
    assert adult.boundary == (17, 18, 19) and adult.missing == () and adult.covered
    assert adult.tested == ((17, "out"), (18, "in"), (19, "in"))
    # reached only where a candidate pathway uses it: no NSCLC pathway asks for a child's age under 18
    assert th["age.less_than_18"].tested == ()
    assert "age.at_least_18" not in invoke(path).output.split("not reached:")[1]


def test_a_threshold_tested_only_away_from_its_bound_reports_the_missing_values(kb, tmp_path):
    path = write(tmp_path, "forty.yaml", ages(40))
    th = {t.criterion: t for t in runner.run(kb, [path]).coverage.thresholds}
    assert th["age.at_least_18"].tested == ((40, "in"),)
    assert th["age.at_least_18"].missing == (17, 18, 19) and not th["age.at_least_18"].covered
    assert th["karnofsky.at_least_60"].boundary == (50, 60, 70)  # the field's step is 10
    assert th["age.adult_or_pediatric"].boundary == (0, 1)  # an age below 0 cannot be documented
    assert ("    shared: age.at_least_18 (patient.age >= 18) tested only away from it, at 40; missing 17, 18, 19\n"
            in invoke(path).output)


def test_json_report_and_fail_under_coverage(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"tests": [{"name": "an adult NSCLC patient with nothing else documented is pended",
                                           "case": {"patient": {"age": 40}, "diagnosis": {"section": "nsclc"}},
                                           "expect": {"decision": "pend"}}]}), encoding="utf-8")
    result = invoke(tmp_path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "laro-kb/test-report/1" and (data["passed"], data["failed"]) == (1, 0)
    assert data["tests"][0] == {"file": str(path), "index": 1, "name": data["tests"][0]["name"], "status": "passed",
                                "problems": [], "decision": "pend", "approved": []}
    assert {"pathway_percent", "pathways", "criteria", "thresholds"} <= set(data["coverage"])
    assert invoke(tmp_path, "--json", "--no-coverage").exit_code == 0
    assert json.loads(invoke(tmp_path, "--json", "--no-coverage").output)["coverage"] is None
    under = invoke(tmp_path, "--fail-under-coverage", "50")
    assert under.exit_code == 1 and "is under --fail-under-coverage 50%" in under.output


def test_a_directory_without_test_files_is_refused(kb, tmp_path):
    with pytest.raises(CaseError, match="holds no .yaml, .yml or .json test files"):
        runner.run(kb, [tmp_path])


def test_the_shipped_cases_pass_and_cover_every_pathway_criterion_and_threshold(kb):
    result = invoke(CASES)
    assert result.exit_code == 0, result.output[-3000:]
    n = len(kb.pathways)
    assert f"approved by a test {n}/{n} (100%), missed by a test {n}/{n} (100%)" in result.output
    assert "covered both ways: pathways 100.0%, criteria 100.0%, exclusions 100.0%" in result.output
    t = sum(c.form in runner.NUMERIC for c in kb.criteria.values())
    assert f"tested at and around the boundary {t}/{t} (100%)" in result.output
    assert "not reached:\n  nothing: " in result.output
    total = sum(len(load_tests(p)) for p in CASES.glob("*.yaml"))
    last = result.output.splitlines()[-1]
    assert CLOSING.match(last) and last.startswith(f"{total} passed, 0 failed in ")


def test_expectations_of_the_wrong_shape_are_errors_not_crashes(kb, tmp_path):
    path = write(tmp_path, "shapes.yaml", """\
  - {name: a case that is not a mapping, case: nsclc, expect: {decision: approve}}
  - {name: approved that is not a list, expect: {decision: approve, approved: nsclc.3a}}
  - {name: verdicts that are not a mapping, expect: {decision: approve, verdicts: [nsclc.3a]}}
  - {name: months that are not a number, expect: {decision: approve, authorization_months: "12"}}
""")
    run = runner.run(kb, [path], coverage=False)
    assert [(r.status, r.problems[0].rsplit(": ", 1)[-1]) for r in run.results] == [
        ("error", "is not a mapping (a case, merged over the base)"), ("error", "is not a list of pathway ids"),
        ("error", "is not a mapping of pathway ids to verdicts"), ("error", "is not a number of months")]
