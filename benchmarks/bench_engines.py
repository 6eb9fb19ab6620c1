"""Benchmark: the same generated workload through both engines, pyDatalog (the reference) and SQL, in one run.

Run:  .venv/bin/python benchmarks/bench_engines.py [--sizes 1000,10000] [--jobs 1,2] [--seed 7] [--sample 400]
      (add 100000 to --sizes for the long run; the reference's batches run up to --reference-max 1000)

It generates cases with laro_kb.author.generate (witnesses of random pathways, fields dropped and changed, 1 in 20
invalid) and reports, on this machine:
- cold `laro-kb decide` on an example (a new process): the first run, which derives the kb and writes its cache
  entry (laro_kb/engine/cache.py), and the median of the runs after it;
- decide, one case at a time in a long-lived process: median, p99 and max per engine;
- why (an explanation from the derivation trace, checked against the deciding engine): median;
- how many generated cases the two engines decide differently (every field of the Decision compared);
- `laro-kb batch` as a user runs it (a new process, start-up included), per engine, size and job count: cases/s,
  wall time, and the peak resident memory of the main process plus its workers (sampled from /proc).
It asserts nothing; it prints a table (docs/performance.md keeps the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import rss_mb  # noqa: E402
from bench_memory import children  # noqa: E402

import laro_kb  # noqa: E402
from laro_kb.author.generate import generated_cases  # noqa: E402
from laro_kb.errors import CaseError  # noqa: E402


def timings(fn, cases) -> list[float]:
    out = []
    for c in cases:
        t = time.perf_counter()
        fn(c)
        out.append(time.perf_counter() - t)
    return sorted(out)


def summary(ts: list[float]) -> str:
    return (f"median {statistics.median(ts) * 1000:7.2f} ms   p99 {ts[int(len(ts) * 0.99)] * 1000:7.2f} ms   "
            f"max {ts[-1] * 1000:7.2f} ms")


def batch_run(path: Path, engine: str, jobs: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak MB (main process plus workers) of `laro-kb batch` as a new process."""
    cmd = [sys.executable, "-m", "laro_kb", "batch", str(path), "-o", str(out), "--jobs", str(jobs),
           "--engine", engine]
    t = time.perf_counter()
    env = dict(os.environ, LARO_KB_DECIDED_AT="2026-01-01T00:00:00Z")  # outputs compared byte for byte
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, rss_mb(proc.pid) + sum(rss_mb(c) for c in children(proc.pid)))
        time.sleep(0.05)
    return time.perf_counter() - t, peak


def cold_decide(runs: int = 7) -> tuple[float, float]:
    """Wall seconds of `laro-kb decide EXAMPLE` as a new process: the first with an empty cache directory (the kb
    derived from kb/ and its cache entry written), then the median of ``runs`` more (started from the entry)."""
    example = ROOT / "examples" / "nsclc-first-line.json"
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, LARO_KB_CACHE_DIR=cache)
        times = []
        for _ in range(runs + 1):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "laro_kb", "decide", str(example)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:])


def without_engine(path: Path) -> list[dict]:
    """The records of a batch output without the field that names the engine (the only one that may differ)."""
    return [{k: v for k, v in json.loads(line).items() if k != "engine"} for line in path.read_text().splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--engines", default="sql,pydatalog")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=400, help="cases timed one at a time, and compared")
    ap.add_argument("--reference-max", type=int, default=1000,
                    help="run the pydatalog batches only up to this size (it decides about 70 cases/s)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = args.engines.split(",")
    print(f"machine: {os.cpu_count()} cores, {sys.platform}; Python {sys.version.split()[0]}; "
          f"date {time.strftime('%Y-%m-%d')}")

    first, warm = cold_decide()
    bytecode = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"cold laro-kb decide   first {first:5.2f} s (no cache entry), then median {warm:5.2f} s "
          f"(bytecode caching {bytecode})")
    kbs = {}
    for engine in ("sql", "pydatalog"):
        t = time.perf_counter()
        kbs[engine] = laro_kb.load(engine=engine)
        kbs[engine].compile()
        print(f"{engine:9s} load + compile      {(time.perf_counter() - t) * 1000:8.0f} ms")
    data = generated_cases(kbs["sql"], max(sizes + [args.sample * 3]), args.seed)
    valid = []
    for d in data:
        try:
            valid.append(kbs["sql"].parse_case(d))
        except CaseError:
            pass
    sample = valid[:args.sample]
    for engine, kb in kbs.items():
        for c in sample[:20]:
            kb.decide(c)
        print(f"{engine:9s} decide              {summary(timings(kb.decide, sample))}")
    print(f"sql       why                 {summary(timings(kbs['sql'].explain, sample[:100]))}")

    compared = valid[:max(args.sample, 2000)]
    ref = [kbs["pydatalog"].decide(c) for c in compared]
    got = kbs["sql"].decide_many(compared)
    one = [kbs["sql"].decide(c) for c in compared]
    differ = sum(1 for r, g, o in zip(ref, got, one) if not r == g == o)
    print(f"engines disagree on {differ} of {len(compared)} generated cases (sql one at a time and set-at-a-time)")

    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"in-{n}.jsonl"
            path.write_text("\n".join(json.dumps(d) for d in data[:n]) + "\n")
            rates = {}
            for engine in engines:
                if engine == "pydatalog" and n > args.reference_max:
                    continue
                for jobs in [int(j) for j in args.jobs.split(",")]:
                    out = Path(tmp) / f"out-{engine}-{n}-{jobs}.jsonl"
                    seconds, peak = batch_run(path, engine, jobs, out)
                    rates[(engine, jobs)] = n / seconds
                    print(f"batch {engine:9s} n={n:<7} jobs={jobs}  {n / seconds:8.0f} cases/s  "
                          f"({seconds:6.1f} s, peak {peak:5.0f} MB)")
                outputs = {Path(tmp, f"out-{engine}-{n}-{j}.jsonl").read_bytes() for j in args.jobs.split(",")}
                print(f"   {engine} outputs identical across job counts: {len(outputs) == 1}")
            if len(engines) == 2 and n <= args.reference_max:
                first = args.jobs.split(",")[0]  # each engine's outputs are the same for every job count (above)
                same = (without_engine(Path(tmp, f"out-sql-{n}-{first}.jsonl"))
                        == without_engine(Path(tmp, f"out-pydatalog-{n}-{first}.jsonl")))
                speedups = ", ".join(f"{rates[('sql', j)] / rates[('pydatalog', j)]:.1f}x with {j} job(s)"
                                     for j in [int(j) for j in args.jobs.split(",")])
                print(f"   sql / pydatalog: {speedups}; batch records identical but for `engine`: {same}")


if __name__ == "__main__":
    main()
