"""Benchmark: kb load time, and median / p95 milliseconds to decide, explain and why-not one case.

Run:  .venv/bin/python benchmarks/bench_decide_explain.py [--rounds N]

The corpus is every case in tests/cases/*.yaml (realistic cases across all 28 sections). Each case is decided,
explained (every candidate pathway, with the smallest approving change) and asked why-not for its first candidate
pathway. Timings are wall-clock on this machine, in one process, with the kb already loaded. This is not part of
the test suite: it reports numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import laro_kb  # noqa: E402
from laro_kb.author.testing.cases import load_tests  # noqa: E402


def ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:7.2f} ms   p95 {xs[int(len(xs) * 0.95)] * 1000:7.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1, help="passes over the corpus")
    args = ap.parse_args()
    t = time.perf_counter()
    kb = laro_kb.load()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    kb.compile()  # the decision program (laro_kb/engine/decision_program.py), as a long-lived process builds it
    compile_s = time.perf_counter() - t
    cases = [kb.parse_case(t.case) for p in sorted((ROOT / "tests" / "cases").glob("*.yaml")) for t in load_tests(p)]
    kb.program  # build the tracer's index once, as a long-lived process would
    decide, explain, whynot = [], [], []
    for _ in range(args.rounds):
        for case in cases:
            t = time.perf_counter()
            d = kb.decide(case)
            decide.append(time.perf_counter() - t)
            t = time.perf_counter()
            kb.explain(case)
            explain.append(time.perf_counter() - t)
            t = time.perf_counter()
            kb.explain(case, [d.pathways[0].id])
            whynot.append(time.perf_counter() - t)
    print(f"laro-kb {laro_kb.__version__} on {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, pyDatalog engine: "
          f"{'compiled' if __import__('pyDatalog.pyEngine', fromlist=['x']).__file__.endswith('.so') else 'pure'}")
    print(f"kb: {len(kb.pathways)} pathways, {len(kb.statements)} statements; load {load_s:.3f} s")
    print(f"decision program: {len(kb.compiled)} rules, built in {compile_s:.3f} s")
    print(f"corpus: {len(cases)} cases x {args.rounds} round(s)")
    print(f"decide          {ms(decide)}")
    print(f"explain (why)   {ms(explain)}")
    print(f"whynot one      {ms(whynot)}")


if __name__ == "__main__":
    main()
