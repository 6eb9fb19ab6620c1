"""``laro-kb batch``: decide many cases, in input order, with error records, atomic output and resume.

INPUT is a JSON Lines file (one case per line) or a directory of case files (.json, .yaml, .yml, in name order).
Each record is validated exactly as a case file (laro_kb.case.parse) and decided by the kb. A record that cannot be used
becomes an error record (id, source, message, field) and the batch goes on. Output is JSON Lines, one record per
input in input order. It is written to ``OUTPUT.partial`` and renamed to OUTPUT at the end, so an interrupted run
never leaves a truncated OUTPUT. ``resume`` reuses the records of ids already in OUTPUT or OUTPUT.partial.
With ``jobs`` > 1, chunks of records are decided in worker processes, each with its own kb. The input is
streamed: memory stays flat however many records it holds.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from ..case.files import read_data
from ..errors import CaseError, LaroError

SCHEMA = "laro-kb/batch-record/1"
CHUNK = 100  # records decided together by pyDatalog (one at a time underneath)
SQL_CHUNK = 2000  # by the SQL engine, set-at-a-time: DuckDB's fixed cost of a run (about 0.3 s) is spread thin


def chunk_size(kb) -> int:
    return SQL_CHUNK if kb.engine_name == "sql" else CHUNK


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


CASE_SUFFIXES = (".json", ".yaml", ".yml")


def count_records(path: Path) -> int:
    """How many records INPUT holds (for a progress bar), without parsing them."""
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES)
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def read_input(path: Path) -> Iterator[tuple[str, object]]:
    """(source, data or CaseError) per record, in input order."""
    if path.is_dir():
        for f in sorted(p for p in path.iterdir() if p.suffix.lower() in CASE_SUFFIXES):
            try:
                yield str(f), read_data(f)
            except CaseError as exc:
                yield str(f), exc
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise CaseError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    with handle:
        for n, raw in enumerate(handle, 1):
            source = f"{path}:{n}"
            if not raw.strip():
                continue
            try:
                yield source, json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield source, CaseError("is not UTF-8 text", file=str(path), line=n)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield source, CaseError(f"is not valid JSON: {getattr(exc, 'msg', 'nested too deeply')}",
                                        file=str(path), line=n)


def decide_records(kb, items: list[tuple[str, object]], explain: bool = False) -> list[dict]:
    """Output records for (source, data) items, in order: every valid case decided set-at-a-time, in one call."""
    out: list = []
    valid: list = []  # (position in out, case, source)
    for source, data in items:
        rid = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), (str, int)) else None
        try:
            if isinstance(data, LaroError):
                raise data
            case = kb.parse_case(data, file=source, record=str(rid) if rid is not None else None,
                                 default_id=Path(source).stem if ":" not in source else source.rsplit(":", 1)[-1])
            valid.append((len(out), case, source))
            out.append(None)
        except LaroError as exc:
            out.append({"schema": SCHEMA, "id": str(rid) if rid is not None else None, "source": source,
                        "error": exc.message, "field": exc.field, "suggestion": exc.suggestion})
    decisions = kb.decide_many([case for _, case, _ in valid])
    for (position, _, source), d in zip(valid, decisions):
        out[position] = record(kb, d, source, explain)
    return out


def record(kb, d, source: str, explain: bool) -> dict:
    rec = {"schema": SCHEMA, "id": d.case.id, "source": source, "decision": d.outcome,
           "approved": [p.id for p in d.approved], "pathways": {p.id: p.verdict for p in d.pathways},
           "needs": {p.id: list(p.needs) for p in d.pending}, "authorization_months": d.authorization_months}
    if explain:
        from ..render.explanation import explanation_dict
        rec["explanation"] = explanation_dict(kb.explain(d.case))
    return rec


# -- worker processes ------------------------------------------------------------------------------------------
_WORKER_KB = None


def _init_worker(kb_dir: Optional[str], engine: str) -> None:
    global _WORKER_KB
    import gc

    from ..knowledgebase import load
    _WORKER_KB = load(kb_dir, engine=engine)
    _WORKER_KB.compile()  # a worker decides many cases: build what its engine compiles up front
    gc.freeze()  # the worker's kb lives as long as the worker


def _work(args) -> list[dict]:
    items, explain = args
    return decide_records(_WORKER_KB, items, explain)


def run(kb, input_path: Path, output: Path, *, explain: bool = False, resume: bool = False, jobs: int = 1,
        kb_dir: Optional[str] = None, progress=None) -> Summary:
    """Decide every record of ``input_path`` into ``output`` (JSON Lines); returns the counts.

    Records are written to OUTPUT.partial as they are decided, in input order, and the file is renamed to OUTPUT
    when all are written. The input is read as a stream, a chunk of records at a time (:func:`chunk_size`), and at most
    ``2 * jobs`` chunks
    are in flight, so memory does not grow with the size of the input."""
    partial = output.with_name(output.name + ".partial")
    previous = _previous(output, partial) if resume else {}
    summary = Summary()
    chunks = _chunks(read_input(Path(input_path)), chunk_size(kb))
    first = next(chunks, [])
    second = next(chunks, None)
    pool = None
    if jobs > 1 and second is not None:  # one chunk is decided here: starting workers would cost more
        import multiprocessing
        pool = multiprocessing.get_context("spawn").Pool(jobs, _init_worker, (kb_dir, kb.engine_name))
    try:
        with partial.open("w", encoding="utf-8") as out:
            everything = itertools.chain([first], [second] if second is not None else [], chunks)
            for items, fresh in _decided(kb, everything, previous, pool, jobs, explain):
                for item in items:
                    summary.total += 1
                    if _reusable(item, previous):
                        rec = previous[_id_of(item[1])]
                        summary.resumed += 1
                    else:
                        rec = next(fresh)
                        if progress is not None:
                            progress(1)
                    if "error" in rec:
                        summary.errors += 1
                    else:
                        summary.decided[rec["decision"]] += 1
                    out.write(json.dumps(rec) + "\n")  # ASCII: no U+2028 line separators inside a line
            out.flush()
            os.fsync(out.fileno())
    finally:
        if pool is not None:
            pool.terminate()
    os.replace(partial, output)
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


def _decided(kb, chunks: Iterator[list], previous: dict, pool, jobs: int, explain: bool):
    """(chunk, iterator over its decided records) in input order: in this process, or with at most 2 * jobs chunks
    queued in the workers (Pool.imap would read the whole input ahead of the workers)."""
    def todo(items: list) -> list:
        return [item for item in items if not _reusable(item, previous)]

    if pool is None:
        for items in chunks:
            yield items, iter(decide_records(kb, todo(items), explain))
        return
    pending: collections.deque = collections.deque()
    for items in chunks:
        pending.append((items, pool.apply_async(_work, ((todo(items), explain),))))
        if len(pending) >= 2 * jobs:
            items, result = pending.popleft()
            yield items, iter(result.get())
    while pending:
        items, result = pending.popleft()
        yield items, iter(result.get())


def _id_of(data) -> Optional[str]:
    return str(data["id"]) if isinstance(data, dict) and isinstance(data.get("id"), (str, int)) else None


def _reusable(item, previous: dict) -> bool:
    rid = _id_of(item[1])
    return rid is not None and rid in previous


def _previous(output: Path, partial: Path) -> dict:
    """Decided records (not errors) of a previous run, by id: from OUTPUT, else from an interrupted OUTPUT.partial."""
    found: dict = {}
    for path in (partial, output):
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the last line of an interrupted run may be cut
                if isinstance(rec, dict) and rec.get("id") is not None and "error" not in rec:
                    found[str(rec["id"])] = rec
    return found
