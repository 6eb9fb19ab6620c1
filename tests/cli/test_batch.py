"""laro_kb.cli.batch: order, error records, atomic output, resume by content, worker processes, bounded records,
refused outputs, and set-at-a-time equality. Real processes, pipes and devices are in test_batch_processes.py."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laro_kb.author.testing.cases import load_tests
from laro_kb.cli import batch, main
from laro_kb.errors import LaroError

from ..case.test_files import ALIAS_BOMB
from ..conftest import CASES, EXAMPLES, KB_DIR

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
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def write_jsonl(path, records) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def the_case(test, **changes):
    """A tests/cases case with an id, and fields set or removed (dotted names; None removes)."""
    from laro_kb.case.model import set_field
    data = json.loads(json.dumps(test.case))
    for name, value in changes.items():
        if value is None:
            *groups, leaf = name.split(".")
            node = data
            for g in groups:
                node = node.get(g, {})
            node.pop(leaf, None)
        else:
            set_field(data, name, value)
    return data


def cli(*args, input=None):
    return CliRunner().invoke(main, ["batch", *map(str, args)], input=input)


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
        assert len(r["key"]) == 64
    assert not out.with_name("out.jsonl.partial").exists()


def test_the_cli_summarises_and_exits_1_on_errors_and_0_without(jsonl, tmp_path):
    out = tmp_path / "o.jsonl"
    result = cli(jsonl, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].endswith(", 2 errors")
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(json.dumps(t.case) for t in SAMPLE[:5]) + "\n")
    ok = cli(clean, "-o", out, "--jobs", "1")
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


# -- class 1: resume by content and position, never by id alone --------------------------------------------------
def test_resume_decides_again_a_case_edited_since_the_interrupted_run(kb, tmp_path):
    pend = next(t for t in SAMPLE if t.expect["decision"] == "pend" and "nsclc" not in t.name)
    needs = kb.decide(kb.parse_case(pend.case)).needs
    field = next(iter(needs.values()))[0]
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="first"), the_case(pend, id="edited")])
    out = tmp_path / "out.jsonl"
    batch.run(kb, path, out)
    assert [r["decision"] for r in read(out)][1] == "pend"
    documented = the_case(pend, id="edited", **{field: _a_value_that_meets(kb, pend, field)})
    write_jsonl(path, [the_case(SAMPLE[0], id="first"), documented])
    s = batch.run(kb, path, out, resume=True)
    after = read(out)
    assert s.resumed == 1 and after[1]["decision"] != "pend"
    assert after[1]["decision"] == kb.decide(kb.parse_case(documented)).outcome


def _a_value_that_meets(kb, test, field):
    """A value for an undocumented field that changes the pend (the repair the kb itself proposes)."""
    case = kb.parse_case(test.case)
    for p in kb.explain(case).pathways:
        if p.change is not None and p.change.sets and field in dict(p.change.sets):
            value = dict(p.change.sets)[field]
            return list(value) if isinstance(value, tuple) else value
    pytest.skip(f"no repair sets {field}")  # pragma: no cover - the sample has one


def test_resume_does_not_reuse_a_record_moved_to_another_line_or_decided_with_another_kb(kb, tmp_path):
    a, b = the_case(SAMPLE[0], id="a"), the_case(SAMPLE[1], id="b")
    path = write_jsonl(tmp_path / "in.jsonl", [a, b])
    out = tmp_path / "out.jsonl"
    batch.run(kb, path, out)
    write_jsonl(path, [b, a])  # the same records, swapped: each source now holds the other's case
    assert batch.run(kb, path, out, resume=True).resumed == 0
    assert [r["id"] for r in read(out)] == ["b", "a"]
    assert batch.run(kb, path, out, resume=True).resumed == 2
    assert batch.run(kb, path, out, resume=True, explain=True).resumed == 0  # records without explanations
    other = tmp_path / "kb"
    shutil.copytree(KB_DIR, other)
    with (other / "logic.dl").open("a") as f:
        f.write("\n# an edit to the kb\n")
    import laro_kb
    assert batch.run(laro_kb.load(other), path, out, resume=True).resumed == 0


def test_an_interrupted_resume_keeps_the_records_it_had_not_reached_for_the_next_resume(kb, tmp_path):
    cases = [the_case(t, id=f"k{i}") for i, t in enumerate(SAMPLE[:6])]
    path = write_jsonl(tmp_path / "in.jsonl", cases)
    out = tmp_path / "out.jsonl"
    batch.run(kb, path, out)
    cases[2] = the_case(SAMPLE[2], id="k2", **{"patient.age": 17})
    write_jsonl(path, cases)

    def interrupt(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(kb, path, out, resume=True, progress=interrupt)  # stops at the edited record, the third
    out.unlink()  # what is left to reuse is in out.jsonl.partial alone
    left = read(out.with_name("out.jsonl.partial"))
    assert [r["id"] for r in left] == ["k0", "k1", "k2", "k3", "k4", "k5"]  # k2 as the earlier run decided it
    assert batch.run(kb, path, out, resume=True).resumed == 5
    assert read(out)[2]["decision"] == kb.decide(kb.parse_case(cases[2])).outcome


def test_a_repeated_id_is_an_error_record_that_names_both_records(kb, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="same"), the_case(SAMPLE[1], id="other"),
                                               the_case(SAMPLE[2], id="same"), {"id": 5}, {}])
    result = cli(path, "-o", tmp_path / "out.jsonl", "--jobs", "1")
    recs = read(tmp_path / "out.jsonl")
    assert result.exit_code == 1
    assert [r.get("decision", "error") for r in recs] == \
        [SAMPLE[0].expect["decision"], SAMPLE[1].expect["decision"], "error", "pend", "error"]
    assert (recs[2]["id"], recs[2]["field"]) == ("same", "id")
    assert recs[2]["error"] == f"repeats the id of the record at {path}:1; each record of one input needs its own id"
    assert recs[4]["id"] == "5" and recs[4]["error"].startswith(f"repeats the id of the record at {path}:4")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_an_interrupted_run_then_resume_equals_a_fresh_run_record_for_record(kb, monkeypatch, data):
    """For any input file, any byte at which a run stopped, and any edits since: resume gives a fresh run's
    output, and reuses exactly the records whose source and key are in what the stopped run left."""
    monkeypatch.setattr(batch, "SQL_CHUNK", 3)
    pool = [json.dumps(the_case(t, id=f"c{i}")) for i, t in enumerate(SAMPLE[:4])]
    pool += [json.dumps(the_case(SAMPLE[0], id="c0", **{"patient.age": 17})),  # c0 edited
             json.dumps({"id": "bad", "patient": {"age": 200}}), "{not json", "",
             json.dumps(the_case(SAMPLE[1], id="c1", **{"patient.age": 90}))]  # c1 again, other facts
    before = data.draw(st.lists(st.sampled_from(pool), max_size=6), label="input")
    after = data.draw(st.lists(st.sampled_from(pool), max_size=6), label="edited input")
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        path, out, fresh = d / "in.jsonl", d / "out.jsonl", d / "fresh.jsonl"
        path.write_text("".join(line + "\n" for line in before))
        batch.run(kb, path, out)
        left = out.read_bytes()
        cut = data.draw(st.integers(0, len(left)), label="stopped at byte")
        out.with_name("out.jsonl.partial").write_bytes(left[:cut])
        if not data.draw(st.booleans(), label="the earlier OUTPUT is kept"):
            out.unlink()
        path.write_text("".join(line + "\n" for line in after))
        kept = {(r.get("source"), r.get("key")) for r in _whole_records(left[:cut])}
        if out.exists():
            kept |= {(r.get("source"), r.get("key")) for r in read(out)}
        resumed = batch.run(kb, path, out, resume=True)
        batch.run(kb, path, fresh)
        assert out.read_text() == fresh.read_text()
        assert resumed.resumed == sum((r["source"], r.get("key")) in kept for r in read(fresh) if "error" not in r)
        assert not out.with_name("out.jsonl.partial").exists()


def _whole_records(raw: bytes) -> list[dict]:
    out = []
    for line in raw.split(b"\n"):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


# -- class 3 and 14: one bad record is an error record in its place, and the batch goes on ------------------------
BAD_LINES = {
    "a number too long to convert": '{"id": "long", "patient": {"age": ' + "9" * 5000 + "}}",
    "NaN": '{"id": "nan", "patient": {"age": NaN}}',
    "a number too large for a float": '{"id": "inf", "patient": {"age": 1e999}}',
    "a key twice": '{"id": "twice", "id": "again"}',
    "a field given twice": '{"id": "dotted", "patient.age": 5, "patient": {"age": 6}}',
    "nesting too deep": "[" * 100_000 + "]" * 100_000,
    "a lone surrogate": '{"id": "\\ud800"}',
    "bytes that are not UTF-8": b'{"id": "\xff"}',
}


def test_every_bad_line_of_json_lines_becomes_an_error_record_and_the_batch_goes_on(kb, tmp_path):
    path = tmp_path / "in.jsonl"
    lines = []
    for i, bad in enumerate(BAD_LINES.values()):
        good = json.dumps(the_case(SAMPLE[0], id=f"good{i}"))
        lines += [bad if isinstance(bad, bytes) else bad.encode(), good.encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = cli(path, "-o", tmp_path / "out.jsonl", "--jobs", "1")
    recs = read(tmp_path / "out.jsonl")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(recs) == 2 * len(BAD_LINES)
    assert all("error" in r for r in recs[::2]) and all(r["decision"] == "approve" for r in recs[1::2])
    errors = {name: (r["field"], r["error"]) for name, r in zip(BAD_LINES, recs[::2])}
    assert errors == {
        "a number too long to convert": ("patient.age", "a number of 5,000 digits is too long to be a case value"),
        "NaN": ("patient.age", "NaN is not a number a case can hold"),
        "a number too large for a float": ("patient.age", "1e999 is too large to be a number"),
        "a key twice": (None, "has the key 'id' twice in one mapping"),
        "a field given twice": ("patient.age", "is given twice: as 'patient.age' and as 'age' inside 'patient'; "
                                               "give it once"),
        "nesting too deep": (None, "is nested too deeply to be a case"),
        "a lone surrogate": ("id", "must be text of 1 to 200 characters, not blank, with no control characters "
                                   "or lone surrogates"),
        "bytes that are not UTF-8": (None, "is not UTF-8 text (byte 8)"),
    }


def test_a_record_over_the_cap_is_an_error_record_and_the_cap_can_be_raised(tmp_path):
    big = json.dumps({"id": "big", "diagnosis": {"tumor_type": "x" * 2000}, "pad": " " * 3000})
    path = write_jsonl(tmp_path / "in.jsonl", [big, json.dumps(the_case(SAMPLE[0], id="after"))])
    result = cli(path, "-o", tmp_path / "out.jsonl", "--jobs", "1", "--max-record-bytes", 4096)
    recs = read(tmp_path / "out.jsonl")
    assert result.exit_code == 1
    assert recs[0] == {"schema": batch.SCHEMA, "id": None, "source": f"{path}:1",
                       "error": "is longer than 4,096 bytes, the cap on one record (--max-record-bytes)",
                       "field": None, "suggestion": None}
    assert recs[1]["id"] == "after" and "decision" in recs[1]
    raised = cli(path, "-o", tmp_path / "out.jsonl", "--jobs", "1", "--max-record-bytes", 10_000)
    assert read(tmp_path / "out.jsonl")[0]["field"] == "pad"  # read whole now: an unknown field
    assert raised.exit_code == 1


def test_a_bad_file_in_a_directory_is_an_error_record_and_the_others_are_decided(tmp_path):
    d = tmp_path / "cases"
    shutil.copytree(EXAMPLES, d)
    (d / "b-bad-date.yaml").write_text("id: bad-date\ndiagnosis: {tumor_type: 2025-13-45}\n")
    (d / "c-bomb.yaml").write_text(ALIAS_BOMB)
    (d / "d-tag.yaml").write_text("id: tag\npatient: {age: !!int x}\n")
    (d / "e-dir.json").mkdir()
    (d / "f-big.json").write_text(json.dumps({"id": "f", "pad": "x" * (1 << 20)}))
    result = cli(d, "-o", tmp_path / "out.jsonl", "--jobs", "1")
    recs = {Path(r["source"]).name: r for r in read(tmp_path / "out.jsonl")}
    assert result.exit_code == 1 and len(recs) == 11
    assert recs["b-bad-date.yaml"]["error"] == "'2025-13-45' is not a valid date"
    assert recs["b-bad-date.yaml"]["field"] == "diagnosis.tumor_type"
    assert "YAML aliases" in recs["c-bomb.yaml"]["error"]
    assert recs["d-tag.yaml"]["field"] == "patient.age"
    assert recs["e-dir.json"]["error"] == "is a directory, not a case file"
    assert recs["f-big.json"]["error"].startswith("is larger than 1 MiB")
    assert [r["decision"] for name, r in sorted(recs.items()) if "error" not in r] == \
        ["approve", "deny", "approve", "pend", "approve", "approve"]


# -- classes 5, 7, 9: outputs refused before anything is written, standard output, symlinks -----------------------
@pytest.mark.parametrize("output, words", [
    ("in.jsonl", "is the INPUT file"),
    ("out.jsonl -> in.jsonl", "is the INPUT file"),
    ("out.jsonl => in.jsonl", "is the INPUT file"),  # a hard link
    ("in.jsonl.partial", None),
    ("missing/out.jsonl", "there is no directory"),
    ("cases/out.json", "inside the INPUT directory"),
    ("a-directory", "is a directory"),
], ids=lambda v: str(v))
def test_an_output_that_cannot_be_used_is_refused_with_exit_2_and_nothing_changes(tmp_path, output, words):
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="x")])
    original = path.read_bytes()
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "cases").mkdir()
    shutil.copy(EXAMPLES / "renewal.json", tmp_path / "cases")
    source = tmp_path / "cases" if output.startswith("cases/") else path
    if output == "in.jsonl.partial":  # INPUT is what OUTPUT.partial would be
        os.rename(path, tmp_path / "in.jsonl.partial")
        source, output, words = tmp_path / "in.jsonl.partial", "in.jsonl", "is the INPUT file (as in.jsonl.partial)"
    if " -> " in output:
        output, target = output.split(" -> ")
        (tmp_path / output).symlink_to(tmp_path / target)
    if " => " in output:
        output, target = output.split(" => ")
        os.link(tmp_path / target, tmp_path / output)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = cli(source, "-o", tmp_path / output, "--jobs", "1")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and words in result.output and result.output.startswith("laro-kb: error: ")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no .partial, nothing written
    assert Path(source).is_dir() or Path(source).read_bytes() == original


def test_output_dash_is_standard_output_and_no_file_is_made(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="x"), the_case(SAMPLE[1], id="y")])
    result = cli(path, "-o", "-", "--jobs", "1")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [r["id"] for r in lines] == ["x", "y"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert cli(path, "-o", "-", "--resume").exit_code == 2


def test_input_dash_is_standard_input(tmp_path):
    text = "".join(json.dumps(the_case(t, id=f"s{i}")) + "\n" for i, t in enumerate(SAMPLE[:3]))
    result = cli("-", "-o", tmp_path / "out.jsonl", "--jobs", "1", input=text)
    assert result.exit_code == 0
    assert [(r["id"], r["source"]) for r in read(tmp_path / "out.jsonl")] == \
        [("s0", "<stdin>:1"), ("s1", "<stdin>:2"), ("s2", "<stdin>:3")]


def test_a_symlink_as_output_is_written_through_and_stays_a_link(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="x")])
    (tmp_path / "results").mkdir()
    link = tmp_path / "latest.jsonl"
    link.symlink_to(tmp_path / "results" / "run1.jsonl")
    assert cli(path, "-o", link, "--jobs", "1").exit_code == 0
    assert link.is_symlink() and read(tmp_path / "results" / "run1.jsonl")[0]["id"] == "x"
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["run1.jsonl"]


def test_a_second_run_on_a_locked_output_is_refused_and_leaves_the_first_runs_file(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [the_case(SAMPLE[0], id="x")])
    out = tmp_path / "out.jsonl"
    fd, created = batch._locked_partial(out.with_name("out.jsonl.partial"))  # a first run, still writing
    try:
        os.write(fd, b"the first run's records\n")
        result = cli(path, "-o", out, "--jobs", "1")
        assert result.exit_code == 2 and "being written by another laro-kb batch" in result.output
        assert out.with_name("out.jsonl.partial").read_bytes() == b"the first run's records\n"
        assert not out.exists()
    finally:
        os.close(fd)
    assert created and cli(path, "-o", out, "--jobs", "1").exit_code == 0
    assert read(out)[0]["id"] == "x"


def test_an_input_that_is_missing_or_a_device_is_refused_with_exit_2(tmp_path):
    for source, words in ((tmp_path / "nope.jsonl", "no such file or directory"), ("/dev/null", "character device")):
        result = cli(source, "-o", tmp_path / "out.jsonl")
        assert result.exit_code == 2 and words in result.output and result.output.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(LaroError, match="character device"):
        batch.open_input("/dev/zero")


# -- jobs, streaming, explain -----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_processes_give_the_same_output(kb, jsonl, tmp_path, monkeypatch, method):
    """Forked workers share the kb compiled here; spawned ones (where there is no fork) load their own."""
    monkeypatch.setattr(batch, "start_method", lambda: method)
    monkeypatch.setattr(batch, "SQL_CHUNK", 10)  # 9 chunks: more than 2 * jobs are queued, so the queue must refill
    pools = []
    decided = batch._decided

    def spy(kb, chunks, pool, *rest):
        pools.append(pool)
        return decided(kb, chunks, pool, *rest)

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
    read_so_far, written = [], []
    source = batch.read_input

    def counting(inp, limit):
        for item in source(inp, limit):
            read_so_far.append(item)
            yield item

    monkeypatch.setattr(batch, "read_input", counting)
    batch.run(kb, jsonl, tmp_path / "out.jsonl", progress=lambda n: written.append(len(read_so_far)))
    assert len(written) == len(SAMPLE) + 2
    assert max(r - w for w, r in enumerate(written, 1)) <= 2 * batch.chunk_size(kb) == 20


def test_explain_adds_the_explanation_json(kb, tmp_path):
    out = tmp_path / "out.jsonl"
    batch.run(kb, EXAMPLES, out, explain=True)
    rec = read(out)[2]
    assert rec["explanation"]["schema"] == "laro-kb/explanation/1"
    assert rec["explanation"]["pathways"][0]["id"] == "nsclc.3a"


def test_a_directory_of_case_files_in_name_order(kb, tmp_path):
    out = tmp_path / "out.jsonl"
    s = batch.run(kb, EXAMPLES, out)
    recs = read(out)
    assert [r["id"] for r in recs] == ["example-biliary-first-line", "example-hematologic", "example-nsclc-first-line",
                                       "example-nsclc-missing-ntrk", "example-pediatric-infantile-fibrosarcoma",
                                       "example-renewal"]
    assert [r["decision"] for r in recs] == ["approve", "deny", "approve", "pend", "approve", "approve"]
    assert s.errors == 0


def test_set_at_a_time_decides_as_one_at_a_time(kb):
    cases = [kb.parse_case(t.case) for t in SAMPLE]
    assert kb.decide_many(cases) == [kb.decide(c) for c in cases]


def test_records_are_counted_without_parsing_and_a_pipe_is_not_counted(jsonl, tmp_path):
    assert batch.count_records(jsonl) == len(SAMPLE) + 2  # the blank line is not a record, the bad JSON is
    assert batch.count_records(EXAMPLES) == 6
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert batch.count_records(fifo) is None and batch.count_records("-") is None  # reading would consume them
