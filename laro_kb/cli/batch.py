"""``laro-kb batch``: decide many cases, in input order, with error records, atomic output and resume.

INPUT is a JSON Lines file (one case per line), a pipe or standard input (``-``) in the same format, or a directory
of case files (.json, .yaml, .yml, in name order). Each record is read within a size cap (``max_record_bytes``),
validated exactly as a case file (laro_kb.case.parse) and decided by the kb. A record that cannot be used becomes an
error record (id, source, message, field) in its place, and the batch goes on. Output is JSON Lines, one record per
input record, in input order.

An OUTPUT file is written as ``OUTPUT.partial``, locked against a second run for as long as this one writes it, and
renamed to OUTPUT at the end, so OUTPUT is always one run's whole output. ``resume`` reuses a decided record of an
earlier run only where its input is the same: the record at the same source (file and line) whose ``key`` (a hash of
the normalized case, the kb's files and ``explain``) is the one this run computes. OUTPUT ``-`` is standard output,
and an existing pipe or device is written as a stream (neither has a partial file, so neither can resume).

With ``jobs`` > 1, chunks of records are decided in worker processes (forked from this one where the platform can
fork, so that they share its loaded kb). The input is streamed:
memory stays flat however many records it holds (docs/batch.md says what does grow).
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import itertools
import json
import math
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator, NamedTuple, Optional, Union

from ..case.files import decode, file_kind, load_text, read_data, show_bytes
from ..errors import CaseError, LaroError
from ..render.decision import audit_dict

SCHEMA = "laro-kb/batch-record/1"
CHUNK = 100  # records decided together by pyDatalog (one at a time underneath)
SQL_CHUNK = 5000  # at most, by the SQL engine, set-at-a-time: DuckDB's fixed cost of a run (0.3 s) is spread thin
COUNTED_BYTES = 256 << 20  # an input file up to this size is counted first, so that its chunks come out even
MAX_RECORD_BYTES = 1 << 20  # a JSON Lines record (or a directory's case file) over 1 MiB is an error record
CASE_SUFFIXES = (".json", ".yaml", ".yml")
STDIN = "-"


@dataclass
class Summary:
    total: int = 0
    decided: dict = field(default_factory=lambda: {"approve": 0, "pend": 0, "deny": 0})
    errors: int = 0
    resumed: int = 0

    def line(self) -> str:
        d = self.decided
        text = (f"{self.total} records: {d['approve']} approve, {d['pend']} pend, {d['deny']} deny, "
                f"{self.errors} errors")
        return text + (f" ({self.resumed} reused from a previous run)" if self.resumed else "")


class Record(NamedTuple):
    """One input record: its position (line, or place in the directory), where it came from, the id it gets when
    it names none, and its data (or the CaseError that reading it gave)."""

    position: int
    source: str
    default_id: str
    data: object


# -- input ------------------------------------------------------------------------------------------------------
@dataclass
class Input:
    """INPUT, opened: a JSON Lines file or stream (``handle``), or a directory (``entries``)."""

    name: str
    identity: Optional[tuple[int, int]] = None  # (device, inode) of what is read, to refuse it as OUTPUT
    handle: Optional[IO[bytes]] = None
    entries: Optional[list[Path]] = None

    def source(self, position: int) -> str:
        if self.entries is not None:
            return str(self.entries[position - 1])
        return f"{'<stdin>' if self.name == STDIN else self.name}:{position}"

    def close(self) -> None:
        if self.handle is not None and self.name != STDIN:
            self.handle.close()


def open_input(name: Union[str, Path]) -> Input:
    """Open INPUT for reading, or refuse it (CaseError): a device, a socket, or anything that is not there."""
    name = str(name)
    if name == STDIN:
        if sys.stdin is None:
            raise CaseError("is closed", file="standard input")
        stream = sys.stdin.buffer
        return Input(name, _identity(stream), stream)
    try:
        st = os.stat(name)
        if stat.S_ISDIR(st.st_mode):
            entries = sorted(p for p in Path(name).iterdir() if p.suffix.lower() in CASE_SUFFIXES)
            return Input(name, (st.st_dev, st.st_ino), entries=entries)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
            raise CaseError(f"is {file_kind(st)}, not a file: INPUT is a JSON Lines file, a directory of case files, "
                            f"a pipe, or '-' for standard input", file=name)
        handle = open(name, "rb")  # a FIFO waits here for its writer
    except FileNotFoundError:
        raise CaseError("no such file or directory", file=name) from None
    except OSError as exc:
        raise CaseError(f"cannot be read ({exc.strerror or exc})", file=name) from None
    return Input(name, _identity(handle), handle)


def _identity(handle) -> Optional[tuple[int, int]]:
    try:
        st = os.fstat(handle.fileno())
    except (OSError, ValueError, AttributeError):  # a stream with no file behind it (a test's stdin)
        return None
    return st.st_dev, st.st_ino


def read_input(inp: Input, max_record_bytes: int = MAX_RECORD_BYTES) -> Iterator[Record]:
    """Every record of INPUT, in order, as read: a line's bytes, a directory entry's path, or the CaseError that
    reading it gave (a line over the cap). :func:`load_record` parses it, in the process that decides it."""
    if inp.entries is not None:
        for i, f in enumerate(inp.entries, 1):
            yield Record(i, str(f), f.stem, f)
        return
    for n, raw in _lines(inp, max_record_bytes):
        if raw is None:
            raw = CaseError(f"is longer than {show_bytes(max_record_bytes)}, the cap on one record "
                            "(--max-record-bytes)", file=inp.name, line=n)
        elif not raw.strip():
            continue
        yield Record(n, inp.source(n), str(n), raw)


def load_record(rec: Record, name: str, max_record_bytes: int = MAX_RECORD_BYTES) -> Record:
    """The record with its data parsed (JSON or YAML), or the CaseError that parsing it gave."""
    data = rec.data
    try:
        if isinstance(data, Path):
            data = read_data(data, limit=max_record_bytes, fifo=False)
        elif isinstance(data, bytes):
            data = load_text(decode(data, name, rec.position), name, line=rec.position)
    except CaseError as exc:
        data = exc
    return rec._replace(data=data)


def _lines(inp: Input, limit: int) -> Iterator[tuple[int, Optional[bytes]]]:
    """(line number, bytes) per line, or (line number, None) for a line over ``limit`` bytes: such a line is
    skipped in pieces, never held whole."""
    handle = inp.handle
    n = 0
    try:
        while True:
            raw = handle.readline(limit + 1)
            if not raw:
                return
            n += 1
            content = raw[:-1] if raw.endswith(b"\n") else raw
            if len(content) <= limit:
                yield n, content
                continue
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(1 << 16)
            yield n, None
    except OSError as exc:
        raise LaroError(f"cannot be read after line {n} ({exc.strerror or exc})", file=inp.name) from None


def count_records(path: Union[str, Path]) -> Optional[int]:
    """How many records INPUT holds (for a progress bar), without parsing them; None for a pipe, which can be read
    only once."""
    path = Path(path)
    if str(path) == STDIN or not (path.is_dir() or path.is_file()):
        return None
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES)
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


# -- output -----------------------------------------------------------------------------------------------------
class Sink:
    """Where the records go, and the records earlier runs left there to reuse (``previous``: source -> key ->
    the record's line)."""

    def __init__(self, name: str, stream: IO[str], partial: Optional[Path] = None, target: Optional[Path] = None):
        self.name, self.stream, self.partial, self.target = name, stream, partial, target
        self.previous: dict[str, dict[str, str]] = {}
        self.written = 0

    def write(self, line: str, source: str) -> None:
        try:
            self.stream.write(line + "\n")
        except OSError as exc:
            raise self._failed(exc) from None
        self.written += 1
        self.previous.pop(source, None)  # written again, reused or not

    def keep_previous(self) -> None:
        """After an interruption: add the earlier run's records that this run had not reached yet, so that the
        next --resume can still reuse them (the records are keyed by source, so their order does not matter)."""
        with contextlib.suppress(OSError):
            for line in (line for by_key in self.previous.values() for line in by_key.values()):
                self.stream.write(line + "\n")
            self.stream.flush()

    def chunk_written(self) -> None:
        """A stream's reader gets each chunk as it is decided, not when a buffer happens to fill."""
        if self.partial is None:
            try:
                self.stream.flush()
            except OSError as exc:
                raise self._failed(exc) from None

    def commit(self) -> None:
        """Make the output whole: flush it, and rename OUTPUT.partial to OUTPUT."""
        try:
            self.stream.flush()
            if self.partial is None:
                return
            os.fsync(self.stream.fileno())
            os.replace(self.partial, self.target)
        except OSError as exc:
            raise self._failed(exc) from None
        _sync_directory(self.target.parent)

    def _failed(self, exc: OSError) -> LaroError:
        if self.stream is sys.stdout:
            _silence_stdout()
        if self.partial is None:
            return LaroError(f"cannot be written ({exc.strerror or exc})", file=self.name)
        return LaroError(f"cannot be written ({exc.strerror or exc}); the {self.written} records written are kept "
                         "for --resume", file=str(self.partial))


@contextlib.contextmanager
def open_output(name: Union[str, Path], inp: Input, resume: bool) -> Iterator[Sink]:
    """The Sink for OUTPUT, or a refusal (LaroError) that leaves nothing behind: OUTPUT is the input, its directory
    is missing, it is a directory, or another run is writing it."""
    name = str(name)
    stream_target = _stream_target(name)
    if stream_target is not None:
        if resume:
            raise LaroError("cannot resume: it is not a file, so no earlier run's records are kept there", file=name)
        if name == STDIN:
            yield Sink("standard output", sys.stdout)
            return
        try:
            handle = open(stream_target, "w", encoding="ascii")
        except OSError as exc:
            raise LaroError(f"cannot be written ({exc.strerror or exc})", file=name) from None
        try:
            yield Sink(name, handle)
        finally:
            with contextlib.suppress(OSError):
                handle.close()  # after a failed write, closing fails again: the error is already told
        return
    target = Path(os.path.realpath(name)) if os.path.islink(name) else Path(name)  # write through a symlink
    partial = target.with_name(target.name + ".partial")
    _refuse_unwritable(name, target, partial, inp)
    fd, created = _locked_partial(partial)
    sink = Sink(name, os.fdopen(fd, "w", encoding="ascii", newline="\n"), partial, target)
    try:
        if resume:
            sink.previous = _previous(target, partial)
        sink.stream.truncate(0)  # only now: the earlier run's records are read
        yield sink
    except BaseException:
        if created and not sink.written:
            partial.unlink(missing_ok=True)  # a refusal, or a run that wrote nothing, leaves no OUTPUT.partial
        else:
            sink.keep_previous()
        raise
    finally:
        with contextlib.suppress(OSError):
            sink.stream.close()  # and the lock with it


def _stream_target(name: str) -> Optional[str]:
    """The path to write as a stream ('-' is standard output), or None for a file to write atomically."""
    if name == STDIN:
        return name
    try:
        st = os.stat(name)
    except OSError:
        return None
    return name if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)) else None


def _refuse_unwritable(name: str, target: Path, partial: Path, inp: Input) -> None:
    if target.is_dir():
        raise LaroError("is a directory; OUTPUT names the JSON Lines file to write", file=name)
    if not target.parent.is_dir():
        raise LaroError(f"cannot be written: there is no directory {target.parent}", file=name)
    for path, what in ((target, ""), (partial, f" (as {partial.name})")):
        with contextlib.suppress(OSError):
            st = os.stat(path)
            if inp.identity == (st.st_dev, st.st_ino):
                raise LaroError(f"is the INPUT file{what}: writing it would destroy the input as it is read; "
                                "write another file", file=name)
    if inp.entries is not None and target.suffix.lower() in CASE_SUFFIXES:
        with contextlib.suppress(OSError):
            if os.path.samefile(target.parent, inp.name):
                raise LaroError("is inside the INPUT directory, where the next run would read it as a case; write "
                                "it elsewhere or name it .jsonl", file=name)


def _locked_partial(partial: Path) -> tuple[int, bool]:
    """OUTPUT.partial opened and locked (flock) for this run, and whether this run created it. A second run is
    refused while the first holds the lock. A partial file renamed to OUTPUT by a run that ended while this one
    waited for it is not the partial file any more: this one then opens the new one."""
    for _ in range(100):
        created = True
        try:
            try:
                fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
            except FileExistsError:
                created = False
                fd = os.open(partial, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            continue  # renamed away between the two opens: try again
        except OSError as exc:
            why = "it is a symbolic link" if os.path.islink(partial) else exc.strerror or str(exc)
            raise LaroError(f"cannot be written ({why})", file=str(partial)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LaroError("is being written by another laro-kb batch (it holds the lock on this file); wait "
                            "for that run to end, or write another OUTPUT", file=str(partial)) from None
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(partial)):
                return fd, created
        os.close(fd)
    raise LaroError("cannot be locked: other runs keep replacing it", file=str(partial))  # pragma: no cover


def _silence_stdout() -> None:
    """Standard output failed (a closed pipe): point it at /dev/null, so that the flush at exit does not fail
    again with a traceback (the Python documentation's advice for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _previous(output: Path, partial: Path) -> dict[str, dict[str, str]]:
    """Decided records (not errors) of earlier runs, by source and key: the record's line as written, from OUTPUT
    and OUTPUT.partial. A line that is not a whole record (the last one of an interrupted run) is ignored."""
    found: dict[str, dict[str, str]] = {}
    for path in (output, partial):
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise LaroError(f"cannot be read to resume ({exc.strerror or exc})", file=str(path)) from None
        with handle:
            for raw in handle:
                try:
                    rec = json.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if isinstance(rec, dict) and rec.get("schema") == SCHEMA and "error" not in rec \
                        and isinstance(rec.get("source"), str) and isinstance(rec.get("key"), str):
                    found.setdefault(rec["source"], {})[rec["key"]] = raw.decode("ascii", "replace").rstrip("\r\n")
    return found


# -- deciding ---------------------------------------------------------------------------------------------------
def case_key(case, fingerprint: str, explain: bool) -> str:
    """The resume key of a decided record: a hash of the normalized case (its id and validated values), the kb
    and whether the record holds an explanation."""
    text = json.dumps([fingerprint, explain, case.id, case.values], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def _parse(kb, rec: Record):
    rid = _id_of(rec.data)
    return kb.parse_case(rec.data, file=rec.source, record=rid, default_id=rec.default_id)


def chunk_size(kb, inp: Optional[Input] = None, jobs: int = 1) -> int:
    """Records read, decided and written together. pyDatalog decides one case at a time underneath: ``CHUNK``. The
    SQL engine decides a chunk set-at-a-time, and each run has a fixed cost (DuckDB plans its statements), so its
    chunks hold up to ``SQL_CHUNK`` records; when INPUT's size is known (a file up to ``COUNTED_BYTES``, or a
    directory), the chunks are as many as share the records evenly among the jobs: 10,000 records with 2 jobs are
    two chunks of 5,000, not five of 2,000 with one worker idle while the other decides the fifth."""
    if kb.engine_name != "sql":
        return CHUNK
    total = _known_total(inp)
    if not total:
        return SQL_CHUNK
    chunks = jobs * math.ceil(total / (jobs * SQL_CHUNK))
    return math.ceil(total / chunks)


def _known_total(inp: Optional[Input]) -> Optional[int]:
    """How many records INPUT holds, where that is cheap to know before reading it (None for a stream)."""
    if inp is None:
        return None
    if inp.entries is not None:
        return len(inp.entries)
    if inp.name == STDIN:
        return None
    try:
        st = os.stat(inp.name)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > COUNTED_BYTES:
        return None
    return count_records(inp.name)


class Done(NamedTuple):
    """A record decided (or reused, or refused): its output line, and what the main process counts and checks."""

    rid: Optional[str]  # the id it must not share with an earlier record (None: it has none to check)
    line: str
    outcome: str  # approve, pend, deny, or error
    reused: bool = False


def decide_chunk(kb, records: list[Record], name: str, previous: dict[str, dict[str, str]], explain: bool,
                 fingerprint: str, max_record_bytes: int = MAX_RECORD_BYTES) -> list[Done]:
    """Each record of a chunk parsed, validated and decided, as its output line, in order. The valid cases that
    ``previous`` (an earlier run's lines, by source and key) does not hold are decided at once, set-at-a-time
    (:meth:`~laro_kb.knowledgebase.KnowledgeBase.summarize_many`). This is a worker's whole job: the main process
    only reads lines and writes lines."""
    todo: list = []  # per record: (rid, its Case and key) to decide, or a finished Done
    for rec in records:
        rec = load_record(rec, name, max_record_bytes)
        rid = _id_of(rec.data)
        if rid is None and isinstance(rec.data, dict) and "id" not in rec.data:
            rid = rec.default_id
        try:
            if isinstance(rec.data, LaroError):
                raise rec.data
            case = _parse(kb, rec)
        except LaroError as exc:
            shown = exc.record if isinstance(rec.data, LaroError) else _id_of(rec.data)
            todo.append(Done(rid, json.dumps(error_record(exc, shown, rec.source)), "error"))
            continue
        key = case_key(case, fingerprint, explain)
        old = previous.get(rec.source, {}).get(key)
        if old is not None:
            todo.append(Done(rid, old, json.loads(old)["decision"], reused=True))
        else:
            todo.append((rid, case, key, rec.source))
    decisions = iter(kb.summarize_many([item[1] for item in todo if not isinstance(item, Done)]))
    out = []
    for item in todo:
        if not isinstance(item, Done):
            rid, case, key, source = item
            d = next(decisions)
            item = Done(rid, json.dumps(record(kb, d, source, explain, key)), d.outcome)
        out.append(item)
    return out


def error_record(exc: LaroError, rid: Optional[str], source: str) -> dict:
    """The record that stands in for an input record that cannot be decided."""
    return {"schema": SCHEMA, "id": rid, "source": source,
            "error": exc.message, "field": exc.field, "suggestion": exc.suggestion}


def record(kb, d, source: str, explain: bool, key: str) -> dict:
    """The output record of a decided case (``d``: its :class:`~laro_kb.decision.Summary`)."""
    rec = {"schema": SCHEMA, "id": d.case.id, "source": source, "key": key, "decision": d.outcome,
           "approved": list(d.approved), "pathways": dict(d.verdicts),
           "needs": {p: list(fields) for p, fields in d.needs}, "ask": list(d.asks),
           "authorization_months": d.authorization_months, **audit_dict(d.audit)}
    if explain:
        from ..render.explanation import explanation_dict
        rec["explanation"] = explanation_dict(kb.explain(d.case))
    return rec


# -- worker processes ------------------------------------------------------------------------------------------
_WORKER_KB = None


def _pool(kb, jobs: int, kb_dir: Optional[str]):
    """``jobs`` worker processes, each with a kb. Where processes can fork (Linux), the workers are forked from this
    one once its kb has compiled what deciding many cases takes, and use that kb: they start at once, with nothing
    to load. Elsewhere each worker is a new interpreter that loads the kb from ``kb_dir`` itself."""
    import multiprocessing
    global _WORKER_KB
    if start_method() == "fork":
        kb.prepare_many()
        _WORKER_KB = kb  # what the forked workers inherit (this process does not decide with it)
        return multiprocessing.get_context("fork").Pool(jobs, _forked_worker)
    return multiprocessing.get_context("spawn").Pool(jobs, _init_worker, (kb_dir, kb.engine_name))


def start_method() -> str:
    """``fork`` where the platform has it, this process runs no other thread (a fork copies only the calling
    thread, so another thread's lock could be copied held) and it has opened no DuckDB database (whose own threads
    a fork does not copy either), else ``spawn``. ``laro-kb batch`` opens none before its workers start."""
    import multiprocessing
    import threading

    from ..engine.sqlengine import forkable
    return "fork" if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 \
        and forkable() else "spawn"


def _forked_worker() -> None:
    import gc
    _WORKER_KB.forked()
    gc.freeze()  # the worker's kb lives as long as the worker


def _init_worker(kb_dir: Optional[str], engine: str) -> None:
    global _WORKER_KB
    import gc

    from ..knowledgebase import load
    _WORKER_KB = load(kb_dir, engine=engine)
    _WORKER_KB.compile()  # a worker decides many cases: build what its engine compiles up front
    gc.freeze()  # the worker's kb lives as long as the worker


def _work(args) -> list[Done]:
    return decide_chunk(_WORKER_KB, *args)


def run(kb, input_path: Union[str, Path], output: Union[str, Path], *, explain: bool = False, resume: bool = False,
        jobs: int = 1, kb_dir: Optional[str] = None, progress=None,
        max_record_bytes: int = MAX_RECORD_BYTES) -> Summary:
    """Decide every record of ``input_path`` into ``output`` (JSON Lines); returns the counts.

    INPUT and OUTPUT are checked before anything is decided or written (a LaroError refuses them). Records are
    written in input order as they are decided. The input is read as a stream, a chunk (:func:`chunk_size`) at a
    time, and at most ``2 * jobs`` chunks are in flight, so memory does not grow with the size of the input. With
    workers, this process only reads lines, checks ids and writes lines: parsing, deciding and JSON are theirs."""
    inp = open_input(input_path)
    try:
        with open_output(output, inp, resume) as sink:
            summary = _run(kb, inp, sink, explain, jobs, kb_dir, progress, max_record_bytes)
            sink.commit()
    finally:
        inp.close()
    return summary


def _run(kb, inp: Input, sink: Sink, explain: bool, jobs: int, kb_dir, progress, max_record_bytes: int) -> Summary:
    summary = Summary()
    fingerprint = kb.version  # a hash of the kb's files: a record decided by another kb is not reused
    ids: dict[str, int] = {}
    size = chunk_size(kb, inp, jobs)
    chunks = _chunks(read_input(inp, max_record_bytes), size)
    first = next(chunks, [])
    pool = None
    if jobs > 1 and len(first) == size:  # less than a chunk is decided here: workers would cost more
        pool = _pool(kb, jobs, kb_dir)
    try:
        work = ((items, inp.name, {r.source: sink.previous[r.source] for r in items if r.source in sink.previous},
                 explain, fingerprint, max_record_bytes) for items in itertools.chain([first], chunks))
        for items, done in _decided(kb, work, pool, jobs):
            for rec, d in zip(items, done):
                summary.total += 1
                line, outcome = d.line, d.outcome
                if d.rid is not None and ids.setdefault(d.rid, rec.position) != rec.position:
                    exc = CaseError(f"repeats the id of the record at {inp.source(ids[d.rid])}; each record of one "
                                    "input needs its own id", record=d.rid, field="id")
                    line, outcome = json.dumps(error_record(exc, d.rid, rec.source)), "error"
                elif d.reused:
                    summary.resumed += 1
                if not d.reused and progress is not None:
                    progress(1)
                if outcome == "error":
                    summary.errors += 1
                else:
                    summary.decided[outcome] += 1
                sink.write(line, rec.source)
            sink.chunk_written()
    finally:
        if pool is not None:
            pool.terminate()
            global _WORKER_KB
            _WORKER_KB = None
    return summary


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _decided(kb, work: Iterator[tuple], pool, jobs: int):
    """(records of a chunk, their Done values) in input order: decided in this process, or with at most 2 * jobs
    chunks queued in the workers (Pool.imap would read the whole input ahead of the workers)."""
    if pool is None:
        for args in work:
            yield args[0], decide_chunk(kb, *args)
        return
    pending: collections.deque = collections.deque()
    for args in work:
        pending.append((args[0], pool.apply_async(_work, (args,))))
        while pending and (len(pending) >= 2 * jobs or pending[0][1].ready()):  # write what is done, in order
            items, result = pending.popleft()
            yield items, result.get()
    while pending:
        items, result = pending.popleft()
        yield items, result.get()


def _id_of(data) -> Optional[str]:
    ok = isinstance(data, dict) and isinstance(data.get("id"), (str, int)) and not isinstance(data.get("id"), bool)
    return str(data["id"]) if ok else None  # the readers turn a number too long for str() into an Unreadable


def interrupted(output: Union[str, Path]) -> str:
    """What an interrupted run leaves, for its message."""
    if _stream_target(str(output)) is not None:
        return "the records written so far stay where they were written"
    target = Path(os.path.realpath(output))
    partial = target.with_name(target.name + ".partial")
    if partial.exists():
        return f"the records decided so far are in {partial}; run again with --resume to go on"
    return "nothing was written"


@contextlib.contextmanager
def progress_bar(input_path: Union[str, Path]):
    """An update function for a progress bar on standard error when it is a terminal (else None)."""
    total = count_records(input_path) if sys.stderr.isatty() else None
    if total is None:
        yield None
        return
    import click
    with click.progressbar(length=total, label="deciding", file=sys.stderr) as bar:
        yield bar.update
