"""laro_kb.explain.witness: a minimal approving case per pathway, and near misses by one criterion alone."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from laro_kb.author.testing.cases import load_tests, run_test
from laro_kb.cli import main
from laro_kb.explain.witness import near_misses, witness


def test_every_pathway_has_a_witness_that_the_kb_approves(kb):
    for pid in kb.pathways:
        w = witness(kb, pid)
        assert w.case is not None, (pid, w.conflict)
        d = kb.decide(w.case)
        assert any(p.id == pid and p.verdict == "approved" for p in d.pathways), pid


def test_a_witness_is_minimal_only_what_the_criteria_read(kb):
    w = witness(kb, "nsclc.3a")
    read = {c.field for (p, k) in kb.links if p == "nsclc.3a" for c in [kb.criteria[k]] if c.field}
    assert {f for f, _ in w.case.values} <= read | {"disease.advanced", "disease.metastatic", "disease.recurrent",
                                                    "diagnosis.section"}
    assert dict(w.case.values)["patient.age"] == 18  # at the bound


def test_near_misses_fail_the_pathway_by_exactly_one_criterion(kb):
    misses = near_misses(kb, "nsclc.3b")
    assert {m.criterion for m in misses} == {k for (p, k) in kb.links if p == "nsclc.3b"}
    for m in misses:
        if m.case is None or m.dimension == "indication":
            continue
        p = next(p for p in kb.decide(m.case).pathways if p.id == "nsclc.3b")
        assert [c.criterion for c in p.failing] == [m.criterion]


def test_witness_near_miss_output_is_a_test_file_that_passes(kb, tmp_path):
    result = CliRunner().invoke(main, ["witness", "thyroid.3c", "--near-miss"])
    assert result.exit_code == 0
    path = tmp_path / "pairs.yaml"
    path.write_text(result.output)
    tests = load_tests(path)
    assert len(tests) >= 5 and tests[0].expect["verdicts"] == {"thyroid.3c": "approved"}
    assert all(run_test(kb, t).passed for t in tests)
    assert yaml.safe_load(result.output)["base"]["diagnosis"]["section"] == "thyroid"


def test_witness_prints_a_case_file_that_decides(kb, tmp_path):
    result = CliRunner().invoke(main, ["witness", "histiocytic.5b"])
    assert result.exit_code == 0
    path = tmp_path / "w.json"
    path.write_text(result.output)
    assert "histiocytic.5b" in [p.id for p in kb.decide(kb.read_case(path)).approved]
