"""Decision tests authored as data, run against a knowledge base, with what they covered.

A test file (YAML or JSON, the format of :mod:`laro_kb.author.testing.cases` and ``docs/author-tests.md``) holds tests named as
sentences, each a case and the decision expected. :func:`run` runs every test of the files and directories given
and returns a :class:`TestRun`: one :class:`TestResult` per test (passed, failed, or error for a test that cannot
be used) and the :class:`~laro_kb.author.testing.coverage.Coverage` of the policy that the decisions exercised.

The command is ``laro-kb test`` (:mod:`laro_kb.cli.testrun`); the reports are in :mod:`laro_kb.author.testing.report`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Union

from ...case.suggest import nearest
from ...decision import OUTCOMES, VERDICT_ORDER, Decision
from ...errors import CaseError
from .cases import CaseTest, compare, make_test, read_test_file
from .coverage import NUMERIC, SHARED, Coverage, CriterionCoverage, PathwayCoverage, ThresholdCoverage, measure, percent

TEST_SUFFIXES = (".yaml", ".yml", ".json")
VERDICTS = tuple(VERDICT_ORDER) + ("not a candidate",)


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
        if not isinstance(base, dict):
            raise CaseError("is not a mapping (a case)", file=str(path), field="base")
    except CaseError as exc:
        return [TestResult(str(path), 0, "(the test file)", "error", (str(exc),))]
    out: list[Union[CaseTest, TestResult]] = []
    for i, t in enumerate(raw, 1):
        name = t.get("name") if isinstance(t, dict) and isinstance(t.get("name"), str) else f"test {i}"
        try:
            if isinstance(t, dict) and not isinstance(t.get("case") or {}, dict):
                raise CaseError("is not a mapping (a case, merged over the base)", file=str(path), record=name,
                                field="case")
            test = make_test(path, base, i, t)
            check_expect(kb, test)
            out.append(test)
        except CaseError as exc:
            out.append(TestResult(str(path), i, name, "error", (str(exc),)))
    return out


SHAPES = {"approved": (list, "a list of pathway ids"), "verdicts": (dict, "a mapping of pathway ids to verdicts"),
          "failing": (dict, "a mapping of pathway ids to lists of criteria"),
          "needs": (dict, "a mapping of pathway ids to lists of fields"), "ask": (list, "a list of fields"),
          "authorization_months": (int, "a number of months")}


def check_expect(kb, test: CaseTest) -> None:
    """Refuse an expectation of the wrong shape, or one naming a pathway, criterion, field, decision or verdict the
    kb does not have (a misspelt id would otherwise pass as 'not a candidate')."""
    e = test.expect

    def refuse(key: str, message: str, suggestion=None) -> None:
        raise CaseError(message, file=test.file, record=test.name, field=f"expect.{key}", suggestion=suggestion)

    def check(key: str, word, choices, what: str) -> None:
        if not isinstance(word, str) or word not in choices:
            refuse(key, f"{word!r} is not {what}", nearest(str(word), choices))
    for key, (shape, what) in SHAPES.items():
        value = e.get(key)
        if value is None:
            continue
        inner = str if key == "verdicts" else list
        if isinstance(value, bool) or not isinstance(value, shape) or (
                shape is dict and not all(isinstance(v, inner) for v in value.values())):
            refuse(key, f"is not {what}")
    check("decision", e["decision"], OUTCOMES, "a decision (approve, pend or deny)")
    for pid in e.get("approved") or ():
        check("approved", pid, kb.pathways, "a pathway of the kb")
    for name in e.get("ask") or ():
        check("ask", name, kb.vocabulary.fields, "a field of the case format")
    for key in ("verdicts", "failing", "needs"):
        for pid, got in (e.get(key) or {}).items():
            check(key, pid, kb.pathways, "a pathway of the kb")
            if key == "verdicts":
                check(key, got, VERDICTS, "a verdict (" + ", ".join(VERDICTS) + ")")
            for word in (got if key != "verdicts" else ()):
                check(key, word, kb.criteria if key == "failing" else kb.vocabulary.fields,
                      "a criterion of the kb" if key == "failing" else "a field of the case format")


def run_tests(kb, tests: list[CaseTest]) -> list[TestResult]:
    """The result of each test: its case parsed (a case that cannot be is an error result), then every parsed case
    decided at once, set-at-a-time (:meth:`~laro_kb.knowledgebase.KnowledgeBase.decide_many`: the same decisions as
    one by one), and each decision compared with its expectation."""
    parsed: list = []
    for test in tests:
        try:
            parsed.append(kb.parse_case(test.case, file=test.file, record=test.name))
        except CaseError as exc:
            parsed.append(TestResult(test.file, test.index, test.name, "error", (str(exc),)))
    decisions = iter(kb.decide_many([c for c in parsed if not isinstance(c, TestResult)]))
    out = []
    for test, case in zip(tests, parsed):
        if isinstance(case, TestResult):
            out.append(case)
            continue
        d = next(decisions)
        problems = tuple(compare(d, test.expect))
        out.append(TestResult(test.file, test.index, test.name, "failed" if problems else "passed", problems, d))
    return out


def run(kb, paths: Iterable[Union[str, Path]], coverage: bool = True,
        on_file: Optional[Callable[[str, list[TestResult], int, int], None]] = None) -> TestRun:
    """Run the tests of ``paths`` (files, or directories of them) against ``kb``: the tests of every file decided
    together, set-at-a-time.

    ``on_file(file, results, done, total)`` is called for each file in turn, once its tests are run (for progress
    output)."""
    start = time.perf_counter()
    files = [(str(p), collect(p, kb)) for p in find_test_files(paths)]
    total = sum(len(items) for _, items in files)
    ran = iter(run_tests(kb, [item for _, items in files for item in items if isinstance(item, CaseTest)]))
    results: list[TestResult] = []
    for name, items in files:
        done = [item if isinstance(item, TestResult) else next(ran) for item in items]
        results.extend(done)
        if on_file:
            on_file(name, done, len(results), total)
    cov = measure(kb, [r.decision for r in results if r.decision is not None]) if coverage else None
    return TestRun(tuple(results), cov, time.perf_counter() - start)


__all__ = ["TestResult", "TestRun", "run", "run_tests", "find_test_files", "check_expect", "Coverage", "PathwayCoverage",
           "CriterionCoverage", "ThresholdCoverage", "measure", "percent", "NUMERIC", "SHARED"]
