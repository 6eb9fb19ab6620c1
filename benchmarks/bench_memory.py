"""Benchmark: is memory flat over a long batch? `laro-kb batch` over N generated cases, resident memory sampled.

Run:  .venv/bin/python benchmarks/bench_memory.py [--n 100000] [--jobs 2] [--seed 7] [--every 10]

It writes N generated cases (the generator of bench_batch.py) to a JSON Lines file, runs `laro-kb batch` on it as
a user would (a new process, --jobs N), and samples the resident memory (VmRSS) of the main process and of each
worker from /proc while it runs. It prints one line per 10% of the records written (`--every`): records done,
elapsed time, throughput so far, main and worker memory. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import generate, rss_mb  # noqa: E402

import laro_kb  # noqa: E402


def children(pid: int) -> list[int]:
    """Every descendant of pid (the workers, and multiprocessing's resource tracker)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def lines(path: Path) -> int:
    try:
        with path.open("rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--every", type=int, default=10, help="report every this many percent of the records")
    args = ap.parse_args()
    kb = laro_kb.load()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w") as f:
            for d in generate(kb, args.n, args.seed):
                f.write(json.dumps(d) + "\n")
        del kb
        exe = Path(sys.executable).with_name("laro-kb")
        cmd = [str(exe) if exe.exists() else sys.executable] + ([] if exe.exists() else ["-m", "laro_kb"])
        start = time.perf_counter()
        proc = subprocess.Popen(cmd + ["batch", str(src), "-o", str(out), "--jobs", str(args.jobs)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        partial = out.with_name(out.name + ".partial")
        print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}; date {time.strftime('%Y-%m-%d')}; "
              f"{args.n} generated cases, --jobs {args.jobs}")
        print(f"{'records':>8} {'elapsed':>8} {'cases/s':>8} {'main MB':>8}  workers MB")
        mark, peak_main, peak_worker = args.every, 0.0, 0.0
        while proc.poll() is None:
            time.sleep(2)
            main_mb = rss_mb(proc.pid)
            workers = [m for m in (rss_mb(p) for p in children(proc.pid)) if m > 50]  # not the resource tracker
            peak_main, peak_worker = max(peak_main, main_mb), max([peak_worker] + workers)
            done = lines(partial)
            if done * 100 >= mark * args.n:
                dt = time.perf_counter() - start
                print(f"{done:>8} {dt:>7.0f}s {done / dt:>8.0f} {main_mb:>8.0f}  {' '.join(f'{w:.0f}' for w in workers)}",
                      flush=True)
                mark += args.every
        dt = time.perf_counter() - start
        summary = proc.stderr.read().strip().splitlines()
        print(f"{args.n:>8} {dt:>7.0f}s {args.n / dt:>8.0f}  exit {proc.returncode}: {summary[-1] if summary else ''}")
        print(f"peak resident memory: main {peak_main:.0f} MB, largest worker {peak_worker:.0f} MB")


if __name__ == "__main__":
    main()
