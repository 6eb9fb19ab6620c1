"""Benchmark: laro-kb diff and laro-kb check on one-line edits of the kb, as an author runs them.

Run:  .venv/bin/python benchmarks/bench_author.py [--only N,N,...] [--cli]

The edits are the seeded mutants of tests/author/mutants.yaml (each a one-line edit of a copy of kb/). For each, it
times, in one process that has the shipped kb loaded once (as `laro-kb diff kb drafts/kb` loads both):
- diff: loading the edited kb and comparing it with the shipped one (laro_kb.author.diff.diff), with the number of
  patients compared and what diff concluded (no change / decisions proved unchanged / N pathways change / compared);
- check: laro_kb.author.check.run_check on the edited copy;
- with --cli, also `laro-kb diff kb COPY` as an author types it, in a fresh process each time (both kbs loaded and
  every witness decided anew: nothing is remembered from the mutant before), wall and CPU of that process.
Wall and CPU seconds of this process are both given (the CPU time is the steadier figure on a shared machine). It
asserts nothing; it prints one row per edit, then min / median / max of diff and check for each class of edit and
over all of them, against the 30 s target for diff, and then issue 15's targets, measured (not taken from the file):
- caught by check alone: the seeded defects (every class but "reorder or comment") for which check reports a finding
  the shipped kb does not have (and how many of those are the finding the mutant names), target >= 90%;
- decision-changing edits (``decisions: changed``) that diff shows with an example patient whose decision differs
  when the two versions decide it again on their own (tests/author/test_mutants.py's ``_outcome``), target 100%;
- false "no change": diff says "No change" or "decisions proved unchanged" for an edit that is not a reorder or a
  comment and changes a decision, or "No change" for any edit of a statement; target 0.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
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
from tests.author.test_mutants import CLASSES, _outcome, apply  # noqa: E402


def timed(f):
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def cli_diff(copy: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `laro-kb diff kb COPY` in a process of its own."""
    def children():
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime
    wall, cpu = time.perf_counter(), children()
    subprocess.run([sys.executable, "-m", "laro_kb", "diff", str(ROOT / "kb"), str(copy)], cwd=ROOT,
                   stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - wall, children() - cpu


def spread(values: list[float]) -> str:
    return f"{min(values):6.2f} {statistics.median(values):6.2f} {max(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated indexes of mutants to run")
    parser.add_argument("--cli", action="store_true", help="also time `laro-kb diff` in a fresh process per edit")
    args = parser.parse_args()
    mutants = yaml.safe_load((ROOT / "tests" / "author" / "mutants.yaml").read_text(encoding="utf-8"))
    only = {int(i) for i in args.only.split(",") if i}
    base = laro_kb.load(ROOT / "kb")
    baseline = {(f.code, f.message) for f in run_check(ROOT / "kb").findings}
    tally = {"defects": 0, "check": 0, "check named": 0, "changing": 0, "shown": 0, "false no change": []}
    rows = []  # (class, diff wall, diff cpu, check wall, check cpu, CLI diff wall, CLI diff cpu)
    print(f"{'#':>3} {'diff s':>7} {'cpu':>6} {'check s':>8} {'cpu':>6}"
          + (f" {'cli s':>6} {'cpu':>6}" if args.cli else "") + f" {'patients':>9}  result  | edit")
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(mutants):
            if only and i not in only:
                continue
            copy = Path(tmp) / f"kb{i}"
            shutil.copytree(ROOT / "kb", copy)
            apply(copy, m)
            mutant = laro_kb.load(copy)
            r, dw, dc = timed(lambda: diff(base, mutant))
            report, cw, cc = timed(lambda: run_check(copy))
            lw, lc = cli_diff(copy) if args.cli else (0.0, 0.0)
            rows.append((m["class"], dw, dc, cw, cc, lw, lc))
            new = {f.code for f in report.findings if (f.code, f.message) not in baseline}
            if m["class"] in CLASSES:
                tally["defects"] += 1
                tally["check"] += bool(new)
                tally["check named"] += m["check"] in new
            if m["decisions"] == "changed":
                tally["changing"] += 1
                tally["shown"] += any(_outcome(base, e.case) != _outcome(mutant, e.case)
                                      for p in r.pathways for e in p.examples[:1])
            if (r.no_change and m["decisions"] != "identical") or (
                    (r.no_change or r.proof) and m["decisions"] == "changed"):
                tally["false no change"].append(m["name"])
            result = ("no change" if r.identical else "proved unchanged" if r.proof else
                      f"{len(r.pathways)} change" if r.pathways else "compared, none differs")
            cli = f" {lw:>6.2f} {lc:>6.2f}" if args.cli else ""
            print(f"{i:>3} {dw:>7.2f} {dc:>6.2f} {cw:>8.2f} {cc:>6.2f}{cli} {r.compared:>9}  {result:<22}| {m['name']}",
                  flush=True)
    print(f"\n{'class':<32} {'n':>3}  diff wall min/median/max  diff CPU min/median/max  check wall min/median/max"
          + ("  CLI diff wall min/median/max" if args.cli else ""))
    classes = sorted({c for c, *_ in rows}, key=lambda c: [m["class"] for m in mutants].index(c))
    for name in classes + ["all"]:
        mine = [r for r in rows if name in ("all", r[0])]
        print(f"{name:<32} {len(mine):>3}  {spread([r[1] for r in mine])}     {spread([r[2] for r in mine])}     "
              f"{spread([r[3] for r in mine])}" + (f"     {spread([r[5] for r in mine])}" if args.cli else ""))
    diffs = [r[1] for r in rows]
    print(f"diff over {len(rows)} one-line edits: median {statistics.median(diffs):.2f} s, max {max(diffs):.2f} s "
          f"(target: under 30 s); check: median {statistics.median([r[3] for r in rows]):.2f} s, "
          f"max {max(r[3] for r in rows):.2f} s")
    if args.cli:
        cold = [r[5] for r in rows]
        print(f"`laro-kb diff kb COPY` in a fresh process: median {statistics.median(cold):.2f} s, "
              f"max {max(cold):.2f} s wall (CPU max {max(r[6] for r in rows):.2f} s)")
    t = tally
    print(f"caught by check alone: {t['check']} of {t['defects']} seeded defects "
          f"({100 * t['check'] / max(t['defects'], 1):.1f}%; the finding the mutant names: {t['check named']}), "
          "target >= 90%")
    print(f"decision-changing edits shown by diff with an example patient: {t['shown']} of {t['changing']} "
          f"({100 * t['shown'] / max(t['changing'], 1):.1f}%), target 100%")
    print(f"false \"no change\": {len(t['false no change'])}, target 0 {t['false no change'] or ''}")


if __name__ == "__main__":
    main()
