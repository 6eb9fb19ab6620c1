"""Benchmark: how many cases one run of the SQLite program should decide, for the author tools.

Run:  .venv/bin/python benchmarks/bench_sqlite_runs.py [--cases 190] [--repeat 3]

laro-kb check and laro-kb diff decide their patients in SQLite when they are fewer than the SQL engine's ``MANY``
(laro_kb.author.generate.report_rows). This takes the witness candidates of every pathway (as diff and check build
them) and decides them with the shipped kb's SQLite program, whole and with verdicts alone (the witness search's),
in runs of 1, 5, 10, 20 and 40 cases, and prints the CPU seconds of each (median of --repeat), checking that every
run size gives the same rows. It asserts nothing else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import laro_kb  # noqa: E402
from laro_kb.author.generate import _all_but_verdicts, witness_candidates  # noqa: E402
from laro_kb.explain.repair import Repairer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=190)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    kb = laro_kb.load()
    r = Repairer(kb)
    cases = [c for pid in sorted(kb.pathways) for c in witness_candidates(kb, r, pid, 3) if c is not None]
    cases = cases[:args.cases]
    cids = [f"#bench{i}" for i in range(len(cases))]
    by_case = {cid: case.facts(cid, kb.vocabulary) for case, cid in zip(cases, cids)}
    print(f"{len(cases)} witness candidates, SQLite, CPU seconds (median of {args.repeat})")
    print(f"{'program':<16}" + "".join(f"{f'run of {n}':>11}" for n in (1, 5, 10, 20, 40)))
    for name, omit in (("whole", frozenset()), ("verdicts alone", _all_but_verdicts(kb))):
        db = kb.decider.database("sqlite", omit)
        first = None
        cells = []
        for n in (1, 5, 10, 20, 40):
            times = []
            for _ in range(args.repeat):
                t = time.process_time()
                rows = [row for i in range(0, len(cids), n)
                        for row in db.report([f for cid in cids[i:i + n] for f in by_case[cid]])]
                times.append(time.process_time() - t)
            first = first if first is not None else sorted(rows)
            assert sorted(rows) == first, f"a run of {n} gives other rows"
            cells.append(statistics.median(times))
        print(f"{name:<16}" + "".join(f"{t:>11.3f}" for t in cells))


if __name__ == "__main__":
    main()
