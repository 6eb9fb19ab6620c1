"""Test cases as data: YAML or JSON files of cases named as sentences, with what they should get.

A file holds an optional ``base`` case that every test's case is merged over,
and a list of ``tests``::

    base: {request: initial, patient: {age: 58}, prescriber: oncologist}
    tests:
      - name: an adult with metastatic NTRK-positive NSCLC should be approved under nsclc.3a
        case: {diagnosis: {section: nsclc}, ...}
        expect:
          decision: approve              # approve, pend or deny (required)
          approved: [nsclc.3a]           # exactly the approved pathways
          verdicts: {nsclc.3b: denied}   # the verdict of each pathway named
          failing: {nsclc.3b: [line.second_or_later]}   # exactly its criteria not met or excluded
          needs: {solid_tumors.fda: [biomarker.acquired_resistance_mutation]}  # exactly what it asks for
          ask: [diagnosis.section]       # exactly the facts asked for before any section's pathway
          authorization_months: 12       # the authorization period of an approval

A key set to ``null`` in a test's case removes that key of the base. ``docs/author-tests.md`` describes the
format and ``laro-kb test`` (:mod:`laro_kb.author.testing.run`), which runs such files and reports their coverage.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ...case.files import read_data
from ...case.suggest import nearest
from ...decision import Decision
from ...errors import CaseError

EXPECT_KEYS = ("decision", "approved", "verdicts", "failing", "needs", "ask", "authorization_months")


@dataclass(frozen=True)
class CaseTest:
    name: str
    file: str
    index: int
    case: dict
    expect: dict


@dataclass(frozen=True)
class Outcome:
    test: CaseTest
    decision: Optional[Decision]
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def load_tests(path: str | Path) -> list[CaseTest]:
    path = Path(path)
    base, tests = read_test_file(path)
    return [make_test(path, base, i, t) for i, t in enumerate(tests, 1)]


def read_test_file(path: Path) -> tuple[dict, list]:
    """A test file's ``base`` case and its raw list of tests (each checked by :func:`make_test`)."""
    data = read_data(path)
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise CaseError("a test file is a mapping with a list under 'tests'", file=str(path))
    unknown = set(data) - {"base", "tests", "description"}
    if unknown:
        key = sorted(unknown)[0]
        raise CaseError("is not a key of a test file", file=str(path), field=key,
                        suggestion=nearest(key, ["base", "tests", "description"]))
    return data.get("base") or {}, data["tests"]


def make_test(path: Path, base: dict, i: int, t: Any) -> CaseTest:
    """Test number ``i`` (from 1) of the file at ``path``, its case merged over ``base``."""
    if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not isinstance(t.get("expect"), dict):
        raise CaseError("each test needs a 'name' sentence, a 'case' and an 'expect'", file=str(path),
                        record=f"test {i}")
    bad = set(t["expect"]) - set(EXPECT_KEYS)
    if bad or "decision" not in t["expect"]:
        key = sorted(bad)[0] if bad else "decision"
        raise CaseError("expect needs 'decision' and may have " + ", ".join(EXPECT_KEYS[1:]), file=str(path),
                        record=t["name"], field=f"expect.{key}", suggestion=nearest(key, EXPECT_KEYS))
    case = merge(base, t.get("case") or {})
    case.setdefault("id", f"{path.stem}-{i}")
    return CaseTest(t["name"], str(path), i, case, t["expect"])


def merge(base: Any, over: Any) -> Any:
    """``over`` merged into ``base``: mappings merge key by key; a None in ``over`` deletes the key."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = merge(out.get(k), v)
        return out
    return copy.deepcopy(over)


def run_test(kb, test: CaseTest) -> Outcome:
    case = kb.parse_case(test.case, file=test.file, record=test.name)
    d = kb.decide(case)
    return Outcome(test, d, tuple(compare(d, test.expect)))


def compare(d: Decision, expect: dict) -> list[str]:
    problems = []
    if d.outcome != expect["decision"]:
        problems.append(f"decision: expected {expect['decision']}, got {d.outcome}")
    if "approved" in expect:
        got = sorted(p.id for p in d.approved)
        if got != sorted(expect["approved"]):
            problems.append(f"approved: expected {sorted(expect['approved'])}, got {got}")
    if "authorization_months" in expect and d.authorization_months != expect["authorization_months"]:
        problems.append(f"authorization_months: expected {expect['authorization_months']}, got {d.authorization_months}")
    by_id = {p.id: p for p in d.pathways}
    for pid, verdict in (expect.get("verdicts") or {}).items():
        got = by_id[pid].verdict if pid in by_id else "not a candidate"
        if got != verdict:
            problems.append(f"verdict of {pid}: expected {verdict}, got {got}")
    for pid, crits in (expect.get("failing") or {}).items():
        got = sorted(c.criterion for c in by_id[pid].failing) if pid in by_id else ["(not a candidate)"]
        if got != sorted(crits):
            problems.append(f"failing criteria of {pid}: expected {sorted(crits)}, got {got}")
    for pid, fields in (expect.get("needs") or {}).items():
        got = sorted(by_id[pid].needs) if pid in by_id else ["(not a candidate)"]
        if got != sorted(fields):
            problems.append(f"needs of {pid}: expected {sorted(fields)}, got {got}")
    if "ask" in expect and sorted(d.asks) != sorted(expect["ask"]):
        problems.append(f"ask: expected {sorted(expect['ask'])}, got {sorted(d.asks)}")
    return problems
