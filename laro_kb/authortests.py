"""Decision tests authored as data, run against a knowledge base, with what they covered.

A test file (YAML or JSON, the format of :mod:`laro_kb.casetests` and ``docs/author-tests.md``) holds tests named as
sentences, each a case and the decision expected. :func:`run` runs every test of the files and directories given
and returns a :class:`TestRun`: one :class:`TestResult` per test (passed, failed, or error for a test that cannot
be used) and the :class:`Coverage` of the policy, computed from the decisions:

- each pathway: how many tests approved it, and how many reached it without approving it (it was a candidate,
  pending or denied);
- each criterion a pathway requires: how many tests found it met and how many not met or unknown; each exclusion:
  how many found it excluded and how many clear;
- each numeric criterion (``at_least``, ``more_than``, ``at_most``, ``less_than``): the values of its field in the
  tests that reached it, and which side of the bound each fell on. It is tested at and around its boundary when
  the bound and the values one step either side (those the field allows) were all tested.

The command is ``laro-kb test`` (:mod:`laro_kb.cli_test`); the reports are in :mod:`laro_kb.render_tests`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Union

from .casetests import CaseTest, compare, make_test, read_test_file
from .decision import OUTCOMES, VERDICT_ORDER, Decision
from .errors import CaseError, nearest

TEST_SUFFIXES = (".yaml", ".yml", ".json")
NUMERIC = {"at_least": ">=", "more_than": ">", "at_most": "<=", "less_than": "<"}
VERDICTS = tuple(VERDICT_ORDER) + ("not a candidate",)
SHARED = "shared"  # the group of a criterion that pathways of more than one section use


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class
    file: str
    index: int  # the test's number in its file, from 1 (0: the file itself could not be read)
    name: str  # the sentence
    status: str  # passed, failed, error
    problems: tuple[str, ...] = ()  # for failed: what differs from the expectation; for error: why it is unusable
    decision: Optional[Decision] = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.index}"


@dataclass(frozen=True)
class PathwayCoverage:
    id: str
    section: str
    approved: int  # tests that approved it
    missed: int  # tests in which it was a candidate, pending or denied

    @property
    def reached(self) -> bool:
        return bool(self.approved or self.missed)

    @property
    def covered(self) -> bool:
        return bool(self.approved and self.missed)


@dataclass(frozen=True)
class CriterionCoverage:
    id: str
    kind: str  # requirement or exclusion
    section: str  # the section of the pathways that use it, or 'shared'
    counts: tuple[tuple[str, int], ...]  # (status, tests in which a candidate pathway found it so)

    @property
    def sides(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The statuses that exercise it one way and the other."""
        return (("excluded",), ("clear",)) if self.kind == "exclusion" else (("met",), ("not_met", "unknown"))

    def seen(self, side: int) -> int:
        return sum(n for s, n in self.counts if s in self.sides[side])

    @property
    def reached(self) -> bool:
        return any(n for _, n in self.counts)

    @property
    def covered(self) -> bool:
        return bool(self.seen(0) and self.seen(1))


@dataclass(frozen=True)
class ThresholdCoverage:
    criterion: str
    section: str
    field: str
    form: str  # at_least, more_than, at_most, less_than
    bound: int
    boundary: tuple[int, ...]  # bound - step, bound, bound + step (those the field's bounds allow)
    tested: tuple[tuple[int, str], ...]  # (value, 'in' | 'out'): each value tested where it was reached

    @property
    def rule(self) -> str:
        return f"{self.field} {NUMERIC[self.form]} {self.bound}"

    @property
    def missing(self) -> tuple[int, ...]:
        seen = {v for v, _ in self.tested}
        return tuple(v for v in self.boundary if v not in seen)

    @property
    def covered(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Coverage:
    pathways: tuple[PathwayCoverage, ...]
    criteria: tuple[CriterionCoverage, ...]  # requirements and exclusions
    thresholds: tuple[ThresholdCoverage, ...]

    @property
    def requirements(self) -> tuple[CriterionCoverage, ...]:
        return tuple(c for c in self.criteria if c.kind == "requirement")

    @property
    def exclusions(self) -> tuple[CriterionCoverage, ...]:
        return tuple(c for c in self.criteria if c.kind == "exclusion")

    @property
    def pathway_percent(self) -> float:
        """Pathways both approved and missed by some test, in percent of all pathways."""
        return percent(sum(p.covered for p in self.pathways), len(self.pathways))


@dataclass(frozen=True)
class TestRun:
    __test__ = False
    results: tuple[TestResult, ...]
    coverage: Optional[Coverage]
    seconds: float

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def find_test_files(paths: Iterable[Union[str, Path]]) -> list[Path]:
    """The test files named: each file, and the .yaml, .yml and .json files of each directory, in name order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in TEST_SUFFIXES and f.is_file())
            if not found:
                raise CaseError("holds no .yaml, .yml or .json test files", file=str(p))
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise CaseError("no such file or directory", file=str(p))
    return out


def collect(path: Path, kb) -> list[Union[CaseTest, TestResult]]:
    """The tests of one file; a test that cannot be used is an error result in its place."""
    try:
        base, raw = read_test_file(path)
    except CaseError as exc:
        return [TestResult(str(path), 0, "(the test file)", "error", (str(exc),))]
    out: list[Union[CaseTest, TestResult]] = []
    for i, t in enumerate(raw, 1):
        name = t.get("name") if isinstance(t, dict) and isinstance(t.get("name"), str) else f"test {i}"
        try:
            test = make_test(path, base, i, t)
            check_expect(kb, test)
            out.append(test)
        except CaseError as exc:
            out.append(TestResult(str(path), i, name, "error", (str(exc),)))
    return out


def check_expect(kb, test: CaseTest) -> None:
    """Refuse an expectation that names a pathway, criterion, field, decision or verdict the kb does not have."""
    e = test.expect

    def check(key: str, word, choices, what: str) -> None:
        if word not in choices:
            raise CaseError(f"{word!r} is not {what}", file=test.file, record=test.name, field=f"expect.{key}",
                            suggestion=nearest(str(word), choices))
    check("decision", e["decision"], OUTCOMES, "a decision (approve, pend or deny)")
    for pid in e.get("approved") or ():
        check("approved", pid, kb.pathways, "a pathway of the kb")
    for key in ("verdicts", "failing", "needs"):
        for pid, got in (e.get(key) or {}).items():
            check(key, pid, kb.pathways, "a pathway of the kb")
            if key == "verdicts":
                check(key, got, VERDICTS, "a verdict (" + ", ".join(VERDICTS) + ")")
            else:
                for word in got or ():
                    check(key, word, kb.criteria if key == "failing" else kb.vocabulary.fields,
                          "a criterion of the kb" if key == "failing" else "a field of the case format")


def run_one(kb, test: CaseTest) -> TestResult:
    try:
        d = kb.decide(kb.parse_case(test.case, file=test.file, record=test.name))
    except CaseError as exc:
        return TestResult(test.file, test.index, test.name, "error", (str(exc),))
    problems = tuple(compare(d, test.expect))
    return TestResult(test.file, test.index, test.name, "failed" if problems else "passed", problems, d)


def run(kb, paths: Iterable[Union[str, Path]], coverage: bool = True,
        on_file: Optional[Callable[[str, list[TestResult], int, int], None]] = None) -> TestRun:
    """Run the tests of ``paths`` (files, or directories of them) against ``kb``.

    ``on_file(file, results, done, total)`` is called as each file finishes (for progress output)."""
    start = time.perf_counter()
    files = [(str(p), collect(p, kb)) for p in find_test_files(paths)]
    total = sum(len(items) for _, items in files)
    results: list[TestResult] = []
    for name, items in files:
        done = [item if isinstance(item, TestResult) else run_one(kb, item) for item in items]
        results.extend(done)
        if on_file:
            on_file(name, done, len(results), total)
    cov = measure(kb, [r.decision for r in results if r.decision is not None]) if coverage else None
    return TestRun(tuple(results), cov, time.perf_counter() - start)


def measure(kb, decisions: list[Decision]) -> Coverage:
    """What the decisions exercised: pathways, criteria and exclusions, and numeric thresholds."""
    below = _descendants(kb)
    sections = _sections(kb, below)
    approved: dict[str, int] = {}
    missed: dict[str, int] = {}
    statuses: dict[str, dict[str, int]] = {}
    values: dict[str, set] = {}
    numeric = {k: c for k, c in kb.criteria.items() if c.form in NUMERIC}
    for d in decisions:
        reached: set[str] = set()
        seen: set[tuple[str, str]] = set()  # (criterion, status), counted once per test
        for p in d.pathways:
            tally = approved if p.verdict == "approved" else missed
            tally[p.id] = tally.get(p.id, 0) + 1
            for c in p.criteria:
                seen.add((c.criterion, c.status))
                reached |= below.get(c.criterion, {c.criterion})
        for k, status in seen:
            counts = statuses.setdefault(k, {})
            counts[status] = counts.get(status, 0) + 1
        for k in reached & set(numeric):
            v = d.case.get(numeric[k].field)
            if isinstance(v, int) and not isinstance(v, bool):
                values.setdefault(k, set()).add(v)
    pathways = tuple(PathwayCoverage(pid, p.section, approved.get(pid, 0), missed.get(pid, 0))
                     for pid, p in kb.pathways.items())
    kinds: dict[str, str] = {}
    for (_, k), dim in kb.links.items():
        kinds[k] = "exclusion" if dim == "exclusion" else "requirement"
    criteria = tuple(CriterionCoverage(k, kinds[k], sections.get(k, SHARED), tuple(sorted(statuses.get(k, {}).items())))
                     for k in sorted(kinds))
    thresholds = tuple(_threshold(kb, c, sections.get(k, SHARED), values.get(k, set()))
                       for k, c in sorted(numeric.items()))
    return Coverage(pathways, criteria, thresholds)


def _threshold(kb, crit, section: str, tested: set) -> ThresholdCoverage:
    f = kb.vocabulary.fields.get(crit.field)
    bound = crit.values[0]
    step = (f.step if f and f.step else 1)
    lo, hi = (f.bounds if f and f.bounds else (None, None))
    boundary = tuple(v for v in (bound - step, bound, bound + step)
                     if (lo is None or v >= lo) and (hi is None or v <= hi))
    sides = tuple((v, "in" if _satisfies(crit.form, v, bound) else "out") for v in sorted(tested))
    return ThresholdCoverage(crit.id, section, crit.field, crit.form, bound, boundary, sides)


def _satisfies(form: str, v: int, bound: int) -> bool:
    return {"at_least": v >= bound, "more_than": v > bound, "at_most": v <= bound, "less_than": v < bound}[form]


def _descendants(kb) -> dict[str, set[str]]:
    """Each criterion with every criterion under it (its parts, their parts, ...)."""
    out: dict[str, set[str]] = {}

    def walk(k: str, seen: tuple = ()) -> set[str]:
        if k not in out:
            crit = kb.criteria.get(k)
            acc = {k}
            for p in (crit.parts if crit else ()):
                if p not in seen:
                    acc |= walk(p, seen + (k,))
            out[k] = acc
        return out[k]
    for k in kb.criteria:
        walk(k)
    return out


def _sections(kb, below: dict[str, set[str]]) -> dict[str, str]:
    """Each criterion -> the one section whose pathways use it (directly or as a part), or 'shared'."""
    used: dict[str, set[str]] = {}
    for (pid, k), _ in kb.links.items():
        for sub in below.get(k, {k}):
            used.setdefault(sub, set()).add(kb.pathways[pid].section)
    return {k: (next(iter(s)) if len(s) == 1 else SHARED) for k, s in used.items()}


__all__ = ["TestResult", "PathwayCoverage", "CriterionCoverage", "ThresholdCoverage", "Coverage", "TestRun",
           "run", "measure", "find_test_files"]
