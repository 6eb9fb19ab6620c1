"""laro-kb batch as a user meets it: real processes, real files, real pipes and FIFOs, devices, signals, a full disk,
and two runs at once on one OUTPUT."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from laro_kb.author.testing.cases import load_tests
from laro_kb.cli import batch

from ..conftest import CASES, EXAMPLES, ROOT
from .test_batch import read

CASES_ = [t.case for t in load_tests(CASES / "ampullary.yaml")][:6]


def lines(n: int, prefix: str = "r") -> str:
    """n JSON Lines records with unique ids (each a tests/cases case, in turn)."""
    return "".join(json.dumps(dict(CASES_[i % len(CASES_)], id=f"{prefix}{i}")) + "\n" for i in range(n))


def laro(*args, small_chunks: bool = False, **kwargs) -> subprocess.Popen:
    """``laro-kb batch ARGS`` in a process of its own; with ``small_chunks``, the same command deciding (and so
    writing) 10 records at a time, so that a test can stop it between two chunks of a small input."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = ["-c", SMALL_CHUNKS] if small_chunks else ["-m", "laro_kb"]
    more = kwargs.pop("preexec_fn", None)

    def preexec() -> None:  # SIGINT as a terminal delivers it: a shell gives its background jobs SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if more is not None:
            more()
    return subprocess.Popen([sys.executable, *command, "batch", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec, **kwargs)


SMALL_CHUNKS = """import laro_kb.cli.batch as batch
for name in ("CHUNK", "SQL_CHUNK"):  # whatever an engine's chunk is
    if hasattr(batch, name):
        setattr(batch, name, 10)
from laro_kb.cli import main
main(prog_name="laro-kb")
"""


def finish(proc: subprocess.Popen, stdin: bytes | None = None, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(stdin, timeout=timeout)
    return proc.returncode, (out or b"").decode(), err.decode()


def one_line_error(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.startswith("laro-kb: error: ") and "Traceback" not in err, err
    for w in words:
        assert w in err, err


# -- class 2: standard input, /dev/stdin and FIFOs are read, streaming ---------------------------------------------
def test_records_piped_to_dash_are_all_decided_and_written_to_standard_output_as_they_come(tmp_path):
    proc = laro("-", "-o", "-", "--jobs", "1", stdin=subprocess.PIPE, cwd=tmp_path, small_chunks=True)
    proc.stdin.write(lines(11).encode())
    proc.stdin.flush()
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while len(got) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(got) == 10  # the first chunk of 10 came out while INPUT was still open
    proc.stdin.write(lines(2, "late").encode())
    proc.stdin.close()
    code = proc.wait(timeout=60)
    reader.join(timeout=10)
    err = proc.stderr.read().decode()
    recs = [json.loads(line) for line in got]
    assert code == 0 and len(recs) == 13 and all(r["source"].startswith("<stdin>:") for r in recs)
    assert [r["id"] for r in recs[-3:]] == ["r10", "late0", "late1"]
    counts = {d: sum(r["decision"] == d for r in recs) for d in ("approve", "pend", "deny")}
    assert err.endswith(f"13 records: {counts['approve']} approve, {counts['pend']} pend, {counts['deny']} deny, "
                        "0 errors\n")
    assert list(tmp_path.iterdir()) == []  # no file named '-'


def test_dev_stdin_and_a_fifo_are_read_whole(tmp_path):
    code, _, err = finish(laro("/dev/stdin", "-o", tmp_path / "a.jsonl", "--jobs", "1", stdin=subprocess.PIPE),
                          lines(5).encode())
    assert code == 0 and len(read(tmp_path / "a.jsonl")) == 5, err
    fifo = tmp_path / "requests.fifo"
    os.mkfifo(fifo)
    proc = laro(fifo, "-o", tmp_path / "b.jsonl", "--jobs", "1")
    with open(fifo, "w") as writer:  # waits for the batch to open it
        for i in range(3):
            writer.write(lines(2, f"w{i}-"))
            writer.flush()
            time.sleep(0.05)
    code, _, err = finish(proc)
    assert code == 0 and [r["id"] for r in read(tmp_path / "b.jsonl")] == \
        ["w0-0", "w0-1", "w1-0", "w1-1", "w2-0", "w2-1"], err


# -- class 4: devices are refused, not read ------------------------------------------------------------------------
def test_a_device_as_input_is_refused_at_once_and_a_device_in_a_directory_is_an_error_record(tmp_path):
    start = time.monotonic()
    code, _, err = finish(laro("/dev/zero", "-o", tmp_path / "out.jsonl"), timeout=30)
    assert code == 2 and time.monotonic() - start < 20
    one_line_error(err, "/dev/zero", "character device")
    assert list(tmp_path.iterdir()) == []
    d = tmp_path / "cases"
    d.mkdir()
    (d / "a.json").write_text((EXAMPLES / "renewal.json").read_text())
    (d / "b.json").symlink_to("/dev/zero")
    os.mkfifo(d / "c.json")  # nobody writes it: reading it would wait for ever
    code, _, err = finish(laro(d, "-o", tmp_path / "out.jsonl", "--jobs", "1"), timeout=30)
    recs = read(tmp_path / "out.jsonl")
    assert code == 1 and recs[0]["decision"] == "approve"
    assert recs[1]["error"] == "is not a regular file but a character device; only files are read"
    assert recs[2]["error"] == "is not a regular file but a pipe; only files are read"


# -- class 5: INPUT is never OUTPUT --------------------------------------------------------------------------------
def test_input_given_again_as_output_through_standard_input_is_refused_and_kept(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(lines(3))
    original = path.read_bytes()
    for source in ("-", "/dev/stdin"):  # a file given as both is in test_batch.py, through the CLI
        with path.open("rb") as stdin:
            code, _, err = finish(laro(source, "-o", path, stdin=stdin))
        assert code == 2
        one_line_error(err, "is the INPUT file")
        assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


# -- class 7: output errors are one line, exit 2, and leave no stray .partial -------------------------------------
def test_a_full_disk_is_exit_2_with_one_line(tmp_path):
    code, _, err = finish(laro(EXAMPLES, "-o", "/dev/full", "--jobs", "1"))
    assert code == 2
    one_line_error(err, "/dev/full", "No space left on device")


def test_a_file_size_limit_hit_while_writing_keeps_the_records_written_for_resume(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(lines(20))
    out = tmp_path / "out.jsonl"

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # as a full disk would: EFBIG past 4 KiB

    code, _, err = finish(laro(path, "-o", out, "--jobs", "1", preexec_fn=small_files))
    assert code == 2
    one_line_error(err, "out.jsonl.partial", "File too large", "kept for --resume")
    assert not out.exists() and 0 < out.with_name("out.jsonl.partial").stat().st_size <= 4096
    code, _, err = finish(laro(path, "-o", out, "--jobs", "1", "--resume"))
    assert code == 0 and "reused from a previous run" in err
    assert [r["id"] for r in read(out)] == [f"r{i}" for i in range(20)]


def test_an_output_directory_without_write_permission_is_refused(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(lines(2))
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root may write in any directory of a disk, but not in sysfs
        locked = Path("/sys")
    else:
        os.chmod(locked, 0o555)
    before = sorted(locked.iterdir())
    try:
        code, _, err = finish(laro(path, "-o", locked / "laro-kb-out.jsonl", "--jobs", "1"))
    finally:
        os.chmod(tmp_path / "locked", 0o755)
    assert code == 2
    one_line_error(err, "laro-kb-out.jsonl.partial", "Permission denied")
    assert sorted(locked.iterdir()) == before


# -- class 8: two runs on one OUTPUT: the second is refused, and OUTPUT is one run's whole output ------------------
def test_a_second_run_on_the_same_output_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / "out.jsonl"
    first = laro("-", "-o", out, "--jobs", "1", stdin=subprocess.PIPE)
    first.stdin.write(lines(3, "first").encode())
    first.stdin.flush()
    partial = out.with_name("out.jsonl.partial")
    deadline = time.monotonic() + 30
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    other = tmp_path / "other.jsonl"
    other.write_text(lines(4, "second"))
    code, _, err = finish(laro(other, "-o", out, "--jobs", "1"))
    assert code == 2
    one_line_error(err, "out.jsonl.partial", "being written by another laro-kb batch")
    code, _, err = finish(first, lines(2, "late").encode())
    assert code == 0, err
    assert [r["id"] for r in read(out)] == ["first0", "first1", "first2", "late0", "late1"]
    assert not partial.exists()


def test_runs_started_together_on_one_output_leave_one_runs_whole_output(tmp_path):
    inputs = []
    for name in "abc":
        path = tmp_path / f"{name}.jsonl"
        path.write_text(lines(12, name))
        inputs.append(path)
    out = tmp_path / "out.jsonl"
    procs = [laro(path, "-o", out, "--jobs", "1") for path in inputs]
    results = [finish(p) for p in procs]
    assert all(code in (0, 2) for code, _, _ in results) and any(code == 0 for code, _, _ in results)
    for code, _, err in results:
        if code == 2:
            one_line_error(err, "being written by another laro-kb batch")
    ids = [r["id"] for r in read(out)]
    assert ids in ([f"{name}{i}" for i in range(12)] for name in "abc")
    assert not out.with_name("out.jsonl.partial").exists()


# -- class 9: '-' is standard output, and a symlink is written through ---------------------------------------------
def test_dash_writes_standard_output_and_a_symlink_is_written_through(tmp_path):
    code, out, _ = finish(laro(EXAMPLES, "-o", "-", "--jobs", "1", cwd=tmp_path))
    assert code == 0 and len(out.splitlines()) == 6 and list(tmp_path.iterdir()) == []
    link = tmp_path / "latest.jsonl"
    link.symlink_to("run-1.jsonl")
    code, _, _ = finish(laro(EXAMPLES, "-o", link, "--jobs", "1"))
    assert code == 0 and link.is_symlink() and len(read(tmp_path / "run-1.jsonl")) == 6


# -- class 1: a run killed at any moment, then resumed, gives a fresh run's output ---------------------------------
def test_a_run_killed_midway_then_resumed_equals_a_fresh_run(kb, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(lines(1000))  # 100 chunks of 10: the kill comes long before the end, however fast a case is
    out = tmp_path / "out.jsonl"
    partial = out.with_name("out.jsonl.partial")
    proc = laro(path, "-o", out, "--jobs", "1", small_chunks=True)
    deadline = time.monotonic() + 60
    while (not partial.exists() or partial.stat().st_size < 4000) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and partial.exists()
    code, _, err = finish(laro(path, "-o", out, "--jobs", "1", "--resume"))
    assert code == 0 and "reused from a previous run" in err
    batch.run(kb, path, tmp_path / "fresh.jsonl")
    assert out.read_text() == (tmp_path / "fresh.jsonl").read_text()


def test_ctrl_c_keeps_the_partial_output_and_exits_without_a_traceback(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(lines(1000))  # 100 chunks of 10: seconds of work after the first is written, whatever the engine
    out = tmp_path / "out.jsonl"
    proc = laro(path, "-o", out, "--jobs", "1", small_chunks=True)
    partial = out.with_name("out.jsonl.partial")
    deadline = time.monotonic() + 60
    while (not partial.exists() or not partial.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    code, _, err = finish(proc)
    assert code == 130 and "Traceback" not in err and partial.exists() and not out.exists()


def test_workers_forked_by_the_command_write_what_one_process_writes(tmp_path, monkeypatch):
    """`laro-kb batch --jobs 2` in a new process forks its workers (it has opened no DuckDB database before they
    start) and they share its kb: the records are those of `--jobs 1`, byte for byte."""
    path = tmp_path / "in.jsonl"
    path.write_text(lines(45))
    monkeypatch.setenv("LARO_KB_DECIDED_AT", "2026-01-01T00:00:00Z")
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}.jsonl"
        code, _, err = finish(laro(path, "-o", out, "--jobs", jobs, small_chunks=True), timeout=120)
        assert code == 0, err
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 45
