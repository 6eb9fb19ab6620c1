"""Benchmark for batch decisions: generated cases, throughput, set-at-a-time, memory, and a reference oracle.

Run:  .venv/bin/python benchmarks/bench_batch.py [--seed 7] [--sizes 1000,10000] [--jobs 1,2] [--memory 5000]

It generates realistic cases from a seed: the minimal approving case of a random pathway (its witness), with
random fields dropped (undocumented), flipped or set to other valid terms, and 1 in 20 made invalid. It then
reports, on this machine:
- the kb load time, and median ms to decide and to explain one case;
- batch throughput, end to end (write JSON Lines, parse, validate, decide, write), for each size and job count;
- set-at-a-time (KnowledgeBase.decide_many) against one case at a time;
- peak memory (ru_maxrss), and resident memory sampled while deciding --memory cases in one process;
- the plain-Python reference evaluator (benchmarks/reference.py): its speed, and whether it agrees with the engine
  on every generated case.
It asserts nothing; it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference import Reference  # noqa: E402

import laro_kb  # noqa: E402
from laro_kb.cli import batch  # noqa: E402
from laro_kb.errors import CaseError  # noqa: E402
from laro_kb.author.generate import generated_cases  # noqa: E402


def generate(kb, n: int, seed: int) -> list[dict]:
    return generated_cases(kb, n, seed)


def rss_mb(pid="self") -> float:
    """Resident memory of a process (this one by default), in MB; 0 once it has ended."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--memory", type=int, default=5000)
    args = ap.parse_args()
    t = time.perf_counter()
    kb = laro_kb.load()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    kb.compile()  # the decision program (laro_kb/engine/decision_program.py), as a batch worker builds it
    compile_s = time.perf_counter() - t
    import gc
    gc.freeze()  # as the CLI does after loading
    sizes = [int(s) for s in args.sizes.split(",")]
    data = generate(kb, max(sizes), args.seed)
    valid = []
    for d in data:
        try:
            valid.append(kb.parse_case(d))
        except CaseError:
            pass
    sample = valid[:300]
    dec = []
    for c in sample:
        t = time.perf_counter()
        kb.decide(c)
        dec.append(time.perf_counter() - t)
    exp = []
    for c in sample[:150]:
        t = time.perf_counter()
        kb.explain(c)
        exp.append(time.perf_counter() - t)
    print(f"machine: {os.cpu_count()} cores, {sys.platform}; Python {sys.version.split()[0]}; "
          f"date {time.strftime('%Y-%m-%d')}")
    print(f"kb load                         {load_s * 1000:8.0f} ms  ({len(kb.pathways)} pathways)")
    print(f"decision program build          {compile_s * 1000:8.0f} ms  ({len(kb.compiled)} rules)")
    print(f"decide one case (median)        {statistics.median(dec) * 1000:8.2f} ms")
    print(f"explain one case (median)       {statistics.median(exp) * 1000:8.2f} ms")

    t = time.perf_counter()
    one = [kb.decide(c) for c in sample]
    one_s = time.perf_counter() - t
    t = time.perf_counter()
    many = []
    for i in range(0, len(sample), 100):
        many += kb.decide_many(sample[i:i + 100])
    many_s = time.perf_counter() - t
    print(f"one at a time                   {len(sample) / one_s:8.0f} cases/s")
    print(f"set-at-a-time (chunks of 100)   {len(sample) / many_s:8.0f} cases/s  (same decisions: {many == one})")

    ref = Reference(kb)
    t = time.perf_counter()
    ref_out = [ref.decide(c) for c in valid]
    ref_s = time.perf_counter() - t
    print(f"reference evaluator (Python)    {len(valid) / ref_s:8.0f} cases/s")

    compared = False
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"in-{n}.jsonl"
            path.write_text("\n".join(json.dumps(d) for d in data[:n]) + "\n")
            for jobs in [int(j) for j in args.jobs.split(",")]:
                out = Path(tmp) / f"out-{n}-{jobs}.jsonl"
                t = time.perf_counter()
                s = batch.run(kb, path, out, jobs=jobs)
                dt = time.perf_counter() - t
                print(f"batch n={n:<6} jobs={jobs}         {n / dt:8.0f} cases/s  ({dt:.1f} s; {s.line()})")
                if n == max(sizes) and not compared:
                    compared = True
                    recs = [json.loads(x) for x in out.read_text().split("\n") if x]
                    by_id = {r["id"]: r["decision"] for r in recs if "error" not in r}
                    agree = sum(by_id[c.id] == o for c, (o, _) in zip(valid, ref_out))
                    print(f"reference agrees with the engine on {agree} of {len(valid)} generated cases")

    if args.memory:
        samples = []
        t = time.perf_counter()
        for i in range(args.memory):
            kb.decide(valid[i % len(valid)])
            if i % max(1, args.memory // 5) == 0:
                samples.append(f"{i}:{rss_mb():.0f}MB")
        print(f"resident memory while deciding {args.memory} cases: {' '.join(samples)} "
              f"end:{rss_mb():.0f}MB ({time.perf_counter() - t:.0f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory                     {peak:8.0f} MB (largest worker process {child:.0f} MB)")


if __name__ == "__main__":
    main()
