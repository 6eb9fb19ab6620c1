"""The reports of ``laro-kb test``: text that reads like pytest's, and JSON (schema ``laro-kb/test-report/1``).

The text report is, in order: one line per test file with a character per test (``.`` passed, ``F`` failed,
``E`` unusable) and the share of tests run so far; a FAILURES section with each failed test's sentence, its
``file:index``, its decision and what differs from the expectation; the coverage summary and what no test reached;
a short summary of the failures; and the closing line ``N passed, N failed in S.SSs``.
"""

from __future__ import annotations

import json
from typing import Iterable, Optional

from .run import SHARED, Coverage, CriterionCoverage, TestResult, TestRun, percent

SCHEMA = "laro-kb/test-report/1"
WIDTH = 80
MARK = {"passed": ".", "failed": "F", "error": "E"}


def bar(title: str, char: str = "=") -> str:
    """A pytest section header: ``===== title =====`` (WIDTH wide)."""
    title = f" {title} "
    left = max(3, (WIDTH - len(title)) // 2)
    return char * left + title + char * max(3, WIDTH - left - len(title))


def file_line(file: str, results: list[TestResult], done: int, total: int) -> str:
    """One file's progress line: ``tests/cases/nsclc.yaml ....F.  [ 12%]``."""
    text = f"{file} {''.join(MARK[r.status] for r in results)}"
    pct = f"[{round(percent(done, total)):3d}%]"
    return text + " " * max(1, WIDTH - len(text) - len(pct)) + pct


def failures_text(results: Iterable[TestResult]) -> list[str]:
    bad = [r for r in results if not r.passed]
    if not bad:
        return []
    lines = [bar("FAILURES")]
    for r in bad:
        lines.append(bar(r.name, "_"))
        lines.append(f"{r.where}" + (" (the test cannot be used)" if r.status == "error" else ""))
        if r.decision is not None:
            lines.append("    got " + _decision(r.decision))
        lines.extend(f"E   {p}" for p in r.problems)
        lines.append("")
    return lines


def _decision(d) -> str:
    """A decision in one short line: ``approve (nsclc.3a, solid_tumors.fda); 2 pathways pending, 1 denied``."""
    approved = f" ({', '.join(p.id for p in d.approved)})" if d.approved else ""
    return f"{d.outcome}{approved}; {len(d.pending)} pathways pending, {len(d.denied)} denied"


def short_summary(results: Iterable[TestResult]) -> list[str]:
    bad = [r for r in results if not r.passed]
    if not bad:
        return []
    lines = [bar("short test summary info")]
    for r in bad:
        lines.append(f"{'ERROR' if r.status == 'error' else 'FAILED'} {r.where} - {r.name}")
    return lines


def closing_line(run: TestRun) -> str:
    return f"{run.passed} passed, {run.failed} failed in {run.seconds:.2f}s"


def _count(part: int, whole: int) -> str:
    return f"{part}/{whole} ({percent(part, whole):.0f}%)"


def _grouped(items: list[tuple[str, str]], one_per_line: bool = False) -> list[str]:
    """(section, text) pairs as one line per section (``    nsclc: a, b``), or per item, sorted by section."""
    by: dict[str, list[str]] = {}
    for section, text in items:
        by.setdefault(section, []).append(text)
    if one_per_line:
        return [f"    {s}: {t}" for s in sorted(by) for t in by[s]]
    return [f"    {s}: {', '.join(by[s])}" for s in sorted(by)]


def _gap(title: str, items: list[tuple[str, str]], one_per_line: bool = False) -> list[str]:
    return [f"  {title}: {len(items)}"] + _grouped(items, one_per_line) if items else []


def coverage_text(cov: Coverage) -> list[str]:
    p, req, exc, th = cov.pathways, cov.requirements, cov.exclusions, cov.thresholds
    reached = {x.section for x in p if x.reached}
    lines = [bar("coverage"),
             f"pathways     {len(p):4d}   approved by a test {_count(sum(x.approved > 0 for x in p), len(p))}, "
             f"missed by a test {_count(sum(x.missed > 0 for x in p), len(p))}",
             f"criteria     {len(req):4d}   met {_count(sum(x.seen(0) > 0 for x in req), len(req))}, "
             f"not met or unknown {_count(sum(x.seen(1) > 0 or x.one_way for x in req), len(req))}",
             f"exclusions   {len(exc):4d}   excluded {_count(sum(x.seen(0) > 0 for x in exc), len(exc))}, "
             f"clear {_count(sum(x.seen(1) > 0 for x in exc), len(exc))}",
             f"thresholds   {len(th):4d}   tested at and around the boundary {_count(sum(x.covered for x in th), len(th))}",
             f"covered both ways: pathways {cov.pathway_percent:.1f}%, "
             f"criteria {percent(sum(x.covered for x in req), len(req)):.1f}%, "
             f"exclusions {percent(sum(x.covered for x in exc), len(exc)):.1f}%"]
    gaps = (_pathway_gaps(p)
            + _gap("pathways no test approved", [(x.section, x.id) for x in p if x.reached and not x.approved])
            + _gap("pathways no test missed", [(x.section, x.id) for x in p if x.reached and not x.missed])
            + _criteria_gaps("criteria", req, reached, "met", "not met or unknown")
            + _criteria_gaps("exclusions", exc, reached, "excluded", "clear")
            + _threshold_gaps(th, reached))
    return lines + ["", "not reached:"] + (gaps or ["  nothing: every pathway, criterion, exclusion and threshold was covered"])


def _pathway_gaps(items) -> list[str]:
    """Pathways no test reached, one line per section; a section none of whose pathways was reached is one word."""
    unseen = [x for x in items if not x.reached]
    if not unseen:
        return []
    size: dict[str, int] = {}
    for x in items:
        size[x.section] = size.get(x.section, 0) + 1
    grouped: dict[str, list[str]] = {}
    for x in unseen:
        grouped.setdefault(x.section, []).append(x.id)
    lines = [f"  pathways no test reached: {len(unseen)}"]
    for section in sorted(grouped):
        ids = grouped[section]
        whole = len(ids) == size[section] and len(ids) > 1
        lines.append(f"    {section}: " + (f"all {len(ids)} pathways" if whole else ", ".join(ids)))
    return lines


def _criteria_gaps(what: str, items: tuple[CriterionCoverage, ...], reached: set[str], yes: str, no: str) -> list[str]:
    unseen = [x for x in items if not x.reached]
    listed = [(x.section, x.id) for x in unseen if x.section in reached or x.section == SHARED]
    folded = sorted({x.section for x in unseen} - reached - {SHARED})
    lines = _gap(f"{what} no test evaluated", listed) if listed else (
        [f"  {what} no test evaluated: {len(unseen)}"] if unseen else [])
    if folded:
        rest = len(unseen) - len(listed)
        lines.append(f"    and {rest} more in the {len(folded)} sections no test reached ({', '.join(folded)})")
    return (lines + _gap(f"{what} no test found {yes}", [(x.section, x.id) for x in items if x.reached and not x.seen(0)])
            + _gap(f"{what} no test found {no}", [(x.section, x.id) for x in items
                                                  if x.reached and not x.seen(1) and not x.one_way]))


def _threshold_gaps(items, reached: set[str]) -> list[str]:
    gaps = [x for x in items if not x.covered]
    listed = [x for x in gaps if x.section in reached or x.section == SHARED]
    folded = sorted({x.section for x in gaps} - reached - {SHARED})
    lines = [f"  thresholds not tested at and around the boundary: {len(gaps)}"] if gaps else []
    lines += _grouped([(x.section, _threshold(x)) for x in listed], one_per_line=True)
    if folded:
        lines.append(f"    and {len(gaps) - len(listed)} more in the {len(folded)} sections no test reached "
                     f"({', '.join(folded)})")
    return lines


def _threshold(t) -> str:
    near = [f"{v} ({side})" for v, side in t.tested if v in t.boundary]
    if near:
        tested = "tested at " + ", ".join(near)
    else:
        tested = f"tested only away from it, at {_values(t)}" if t.tested else "never reached by a test"
    return f"{t.criterion} ({t.rule}) {tested}; missing {', '.join(map(str, t.missing))}"


def _values(t) -> str:
    vals = [str(v) for v, _ in t.tested]
    return ", ".join(vals if len(vals) <= 6 else vals[:3] + ["...", vals[-1]])


def report_text(run: TestRun, progress: bool = True) -> str:
    """The whole text report; ``progress=False`` leaves out the per-file lines (already printed as they ran)."""
    lines: list[str] = []
    if progress:
        done = 0
        for file, results in _by_file(run.results):
            done += len(results)
            lines.append(file_line(file, results, done, len(run.results)))
    if lines:
        lines.append("")
    lines += failures_text(run.results)
    if run.coverage is not None:
        lines += coverage_text(run.coverage) + [""]
    lines += short_summary(run.results)
    lines.append(closing_line(run))
    return "\n".join(lines)


def _by_file(results: tuple[TestResult, ...]) -> list[tuple[str, list[TestResult]]]:
    out: dict[str, list[TestResult]] = {}
    for r in results:
        out.setdefault(r.file, []).append(r)
    return list(out.items())


def report_dict(run: TestRun) -> dict:
    """The JSON form (docs/author-tests.md): the tests, the totals and the coverage."""
    return {"schema": SCHEMA, "passed": run.passed, "failed": run.failed, "seconds": round(run.seconds, 3),
            "tests": [{"file": r.file, "index": r.index, "name": r.name, "status": r.status,
                       "problems": list(r.problems), "decision": r.decision.outcome if r.decision else None,
                       "approved": [p.id for p in r.decision.approved] if r.decision else []}
                      for r in run.results],
            "coverage": coverage_dict(run.coverage)}


def coverage_dict(cov: Optional[Coverage]) -> Optional[dict]:
    if cov is None:
        return None
    return {
        "pathway_percent": round(cov.pathway_percent, 1),
        "pathways": [{"id": p.id, "section": p.section, "approved": p.approved, "missed": p.missed}
                     for p in cov.pathways],
        "criteria": [{"id": c.id, "kind": c.kind, "section": c.section, "statuses": dict(c.counts),
                      "covered": c.covered} for c in cov.criteria],
        "thresholds": [{"criterion": t.criterion, "section": t.section, "field": t.field, "form": t.form,
                        "bound": t.bound, "boundary": list(t.boundary),
                        "tested": [{"value": v, "side": s} for v, s in t.tested], "missing": list(t.missing),
                        "covered": t.covered} for t in cov.thresholds],
    }


def report_json(run: TestRun) -> str:
    return json.dumps(report_dict(run), indent=2, ensure_ascii=False)
