"""laro_kb.cli.batch: order, error records, atomic output, resume, worker processes, and set-at-a-time equality."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from laro_kb.author.testing.cases import load_tests
from laro_kb.cli import batch, main

from ..conftest import CASES, EXAMPLES

SAMPLE = [t for path in sorted(CASES.glob("*.yaml"))[:6] for t in load_tests(path)][:80]


@pytest.fixture
def jsonl(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(t.case) for t in SAMPLE]
    lines.insert(3, json.dumps({"id": "bad-age", "patient": {"age": 200}}))
    lines.insert(7, "{not json")
    lines.insert(9, "")
    path.write_text("\n".join(lines) + "\n")
    return path


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_records_come_out_in_input_order_with_error_records_and_the_same_decisions(kb, jsonl, tmp_path):
    out = tmp_path / "out.jsonl"
    s = batch.run(kb, jsonl, out)
    recs = read(out)
    assert len(recs) == len(SAMPLE) + 2 and s.total == len(recs) and s.errors == 2
    assert recs[3] == {"schema": "laro-kb/batch-record/1", "id": "bad-age", "source": f"{jsonl}:4",
                       "error": "200 is impossible: must be from 0 to 130", "field": "patient.age", "suggestion": None}
    assert recs[7]["source"] == f"{jsonl}:8" and recs[7]["error"].startswith("is not valid JSON")
    decided = [r for r in recs if "error" not in r]
    for r, t in zip(decided, SAMPLE):
        d = kb.decide(kb.parse_case(t.case))
        assert (r["id"], r["decision"], r["approved"]) == (d.case.id, d.outcome, [p.id for p in d.approved])
        assert r["needs"] == {p.id: list(p.needs) for p in d.pending}
    assert not out.with_name("out.jsonl.partial").exists()


def test_the_cli_summarises_and_exits_1_on_errors_and_0_without(jsonl, tmp_path):
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["batch", str(jsonl), "-o", str(out), "--jobs", "1"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].endswith(", 2 errors")
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(json.dumps(t.case) for t in SAMPLE[:5]) + "\n")
    ok = CliRunner().invoke(main, ["batch", str(clean), "-o", str(out), "--jobs", "1"])
    assert ok.exit_code == 0 and ok.output.splitlines()[-1].endswith(", 0 errors")


def test_an_interrupted_run_leaves_no_output_and_resume_reuses_what_was_decided(kb, jsonl, tmp_path):
    out = tmp_path / "out.jsonl"
    calls = []

    def interrupt(n):
        calls.append(n)
        if len(calls) == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(kb, jsonl, out, progress=interrupt)
    assert not out.exists()
    partial = out.with_name("out.jsonl.partial")
    assert partial.exists()
    s = batch.run(kb, jsonl, out, resume=True)
    assert s.resumed >= 30 and s.total == len(SAMPLE) + 2
    fresh = tmp_path / "fresh.jsonl"
    batch.run(kb, jsonl, fresh)
    assert read(out) == read(fresh)


def test_a_directory_of_case_files_in_name_order(kb, tmp_path):
    out = tmp_path / "out.jsonl"
    s = batch.run(kb, EXAMPLES, out)
    recs = read(out)
    assert [r["id"] for r in recs] == ["example-hematologic", "example-nsclc-first-line", "example-nsclc-missing-ntrk",
                                       "example-pediatric-infantile-fibrosarcoma", "example-renewal"]
    assert [r["decision"] for r in recs] == ["deny", "approve", "pend", "approve", "approve"]
    assert s.errors == 0


def test_worker_processes_give_the_same_output(kb, jsonl, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "SQL_CHUNK", 10)  # 9 chunks: more than 2 * jobs are queued, so the queue must refill
    pools = []
    decided = batch._decided

    def spy(kb, chunks, previous, pool, *rest):
        pools.append(pool)
        return decided(kb, chunks, previous, pool, *rest)

    monkeypatch.setattr(batch, "_decided", spy)
    one, two = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    batch.run(kb, jsonl, one, jobs=1)
    s = batch.run(kb, jsonl, two, jobs=2)
    assert pools[0] is None and pools[1] is not None  # the second run did use worker processes
    assert one.read_text() == two.read_text()
    assert s.total == len(SAMPLE) + 2 and s.errors == 2


def test_the_input_is_read_as_a_stream_not_all_at_once(kb, jsonl, tmp_path, monkeypatch):
    """Memory must not grow with the input: no more than 2 * jobs chunks are read ahead of what is written."""
    monkeypatch.setattr(batch, "SQL_CHUNK", 10)
    read, written = [], []
    source = batch.read_input

    def counting(path):
        for item in source(path):
            read.append(item)
            yield item

    monkeypatch.setattr(batch, "read_input", counting)
    batch.run(kb, jsonl, tmp_path / "out.jsonl", progress=lambda n: written.append(len(read)))
    assert len(written) == len(SAMPLE) + 2
    assert max(r - w for w, r in enumerate(written, 1)) <= 2 * batch.chunk_size(kb) == 20


def test_explain_adds_the_explanation_json(kb, tmp_path):
    out = tmp_path / "out.jsonl"
    batch.run(kb, EXAMPLES, out, explain=True)
    rec = read(out)[2]
    assert rec["explanation"]["schema"] == "laro-kb/explanation/1"
    assert rec["explanation"]["pathways"][0]["id"] == "nsclc.3a"


def test_set_at_a_time_decides_as_one_at_a_time(kb):
    cases = [kb.parse_case(t.case) for t in SAMPLE]
    assert kb.decide_many(cases) == [kb.decide(c) for c in cases]


def test_records_are_counted_without_parsing(jsonl):
    assert batch.count_records(jsonl) == len(SAMPLE) + 2  # the blank line is not a record, the bad JSON is
    assert batch.count_records(EXAMPLES) == 5
