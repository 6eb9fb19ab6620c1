"""Benchmark: laro-kb diff and laro-kb check on one-line edits of the kb, as an author runs them.

Run:  .venv/bin/python benchmarks/bench_author.py [--only N,N,...]

The edits are the seeded mutants of tests/author/mutants.yaml (each a one-line edit of a copy of kb/). For each, it
times, in one process that has the shipped kb loaded once (as `laro-kb diff kb drafts/kb` loads both):
- diff: loading the edited kb and comparing it with the shipped one (laro_kb.author.diff.diff), with the number of
  patients compared and what diff concluded (no change / decisions proved unchanged / N pathways change / compared);
- check: laro_kb.author.check.run_check on the edited copy.
It asserts nothing; it prints one row per edit and a summary (median, max) against the 30 s target for diff.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

import laro_kb  # noqa: E402
from laro_kb.author.check import run_check  # noqa: E402
from laro_kb.author.diff import diff  # noqa: E402
from tests.author.test_mutants import apply  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated indexes of mutants to run")
    args = parser.parse_args()
    mutants = yaml.safe_load((ROOT / "tests" / "author" / "mutants.yaml").read_text(encoding="utf-8"))
    only = {int(i) for i in args.only.split(",") if i}
    base = laro_kb.load(ROOT / "kb")
    diff_times, check_times = [], []
    print(f"{'#':>3} {'diff s':>7} {'check s':>8} {'patients':>9}  result  | edit")
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(mutants):
            if only and i not in only:
                continue
            copy = Path(tmp) / f"kb{i}"
            shutil.copytree(ROOT / "kb", copy)
            apply(copy, m)
            t = time.perf_counter()
            new = laro_kb.load(copy)
            r = diff(base, new)
            diff_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_check(copy)
            check_times.append(time.perf_counter() - t)
            result = ("no change" if r.identical else "proved unchanged" if r.proof else
                      f"{len(r.pathways)} change" if r.pathways else "compared, none differs")
            print(f"{i:>3} {diff_times[-1]:>7.2f} {check_times[-1]:>8.2f} {r.compared:>9}  {result:<22}| {m['name']}",
                  flush=True)
    print(f"diff over {len(diff_times)} one-line edits: median {statistics.median(diff_times):.2f} s, "
          f"max {max(diff_times):.2f} s (target: under 30 s)")
    print(f"check: median {statistics.median(check_times):.2f} s, max {max(check_times):.2f} s")


if __name__ == "__main__":
    main()
