"""Witnesses: a minimal case that a pathway approves, and near misses that fail it by one criterion alone.

The search starts from an empty case. For each criterion of the pathway it tries the field values that would make
the criterion met (for an exclusion: not met), taken from the criterion's form in the kb
(:class:`~laro_kb.explain.repair.Repairer`). It prunes combinations whose values conflict, and accepts only a case that the
kb's rules approve under the pathway (proved by the tracer). When no combination works, the pathway is dead, and
the smallest set of criteria whose values conflict is reported.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Optional

from ..case.model import Case
from .repair import Repairer, _merge, concrete

MAX_LEAVES = 60


@dataclass(frozen=True)
class Witness:
    pathway: str
    case: Optional[Case]  # None: no case can be approved under the pathway
    conflict: tuple[str, ...] = ()  # the smallest set of criteria found whose requirements cannot all hold
    only_when_excluded: bool = False  # the conflict is between a requirement and an exclusion


@dataclass(frozen=True)
class NearMiss:
    criterion: str
    dimension: str
    case: Optional[Case]  # the witness changed so that this criterion alone fails (None: it cannot fail alone)
    decision: Optional[str] = None  # what the kb decides for that case (another pathway may still approve it)


def requirements(kb, pid: str) -> list[tuple[str, str]]:
    """(criterion, dimension) of a pathway, as the kb links them."""
    index = _LINKS.get(kb)
    if index is None:
        index = _LINKS[kb] = {}
        for (p, k), dim in kb.links.items():
            index.setdefault(p, []).append((k, dim))
    return sorted(index.get(pid, ()))


_LINKS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {pathway: [(criterion, dimension)]}


_FOUND: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {pathway: Witness}


def witness(kb, pid: str, max_leaves: int = MAX_LEAVES) -> Witness:
    """The witness of ``pid``: found once per loaded kb (a loaded kb does not change), then remembered.
    ``max_leaves`` bounds the combinations the rules are asked to prove before the pathway is called dead."""
    kb.pathway(pid)
    known = _FOUND.setdefault(kb, {})
    if pid not in known:
        known[pid] = _search(kb, pid, max_leaves)
    return known[pid]


def _search(kb, pid: str, max_leaves: int = MAX_LEAVES) -> Witness:
    r = Repairer(kb)
    reqs = requirements(kb, pid)
    options = [r._options(k, dim != "exclusion", {}) for k, dim in reqs]
    base = Case(f"witness-{pid}", ())
    leaves = 0
    invalid = 0
    for merged in _consistent(options, {}, 0, r._kind_of_any):
        leaves += 1
        case = base.with_values(**concrete(merged, {}, r._kind_of_any))
        if not _allowed_case(kb, case):  # values the vocabulary's conflicts forbid: no patient has them
            invalid += 1
        elif r.approves(case, pid):
            return Witness(pid, case)
        if leaves >= max_leaves:
            break
    conflict, excluded = _smallest_conflict(reqs, options, r._kind_of_any, kb if invalid else None)
    return Witness(pid, None, conflict, excluded)


def near_misses(kb, pid: str, w: Optional[Witness] = None) -> list[NearMiss]:
    """For each criterion, the witness changed to fail that criterion alone (an MC/DC pair with the witness)."""
    w = w or witness(kb, pid)
    if w.case is None:
        return []
    r = Repairer(kb, respect_immutable=False)  # a test case may have any diagnosis, age or history
    values = dict(w.case.values)
    out = []
    for k, dim in requirements(kb, pid):
        found = None
        for option in r._options(k, dim == "exclusion", values):
            case = _valid(kb, w.case.with_values(**concrete(option, values, r._kind_of_any)))
            if case is None:
                continue
            d = kb.decide(case)
            p = next((p for p in d.pathways if p.id == pid), None)
            if p is not None and [c.criterion for c in p.failing] == [k]:
                found = NearMiss(k, dim, case, d.outcome)
                break
            if p is None and dim == "indication":  # another diagnosis: the pathway is no longer a candidate
                found = NearMiss(k, dim, case, d.outcome)
                break
        out.append(found or NearMiss(k, dim, None))
    return out


def _valid(kb, case: Case) -> Optional[Case]:
    """The case if it passes case validation; with another section, its subsection is dropped; else None."""
    from ..errors import CaseError
    for candidate in (case, case.with_values(**{"diagnosis.subsection": None})):
        try:
            return kb.parse_case(candidate.as_dict())
        except CaseError:
            continue
    return None


def _allowed_case(kb, case: Case) -> bool:
    """Whether no conflict of the vocabulary forbids the case's values together."""
    values = dict(case.values)
    for c in kb.vocabulary.conflicts:
        if _has(values.get(c.field1), c.value1) and _has(values.get(c.field2), c.value2):
            return False
    return True


def _has(value, wanted) -> bool:
    return value == wanted or (isinstance(value, tuple) and wanted in value)


def _consistent(options: list[list[dict]], merged: dict, i: int, kind_of=None):
    """Depth-first: every consistent choice of one option per criterion, smallest first."""
    if i == len(options):
        yield merged
        return
    for option in sorted(options[i], key=len)[:6]:
        combined = _merge([merged, option], {}, kind_of)
        if combined is not None:
            yield from _consistent(options, combined, i + 1, kind_of)


def _smallest_conflict(reqs, options, kind_of=None, kb=None) -> tuple[tuple[str, ...], bool]:
    """The smallest set of criteria that cannot hold together (with ``kb``, also counting the vocabulary's
    conflicts between values)."""
    def possible(choices) -> bool:
        return any(kb is None or _allowed_case(kb, Case("c", tuple(concrete(m, {}, kind_of).items())))
                   for m in _consistent(choices, {}, 0, kind_of))
    for k, opts in zip(reqs, options):
        if not opts:
            return (k[0],), k[1] == "exclusion"
    for size in (1, 2, 3):
        for combo in itertools.combinations(range(len(reqs)), size):
            if not possible([options[i] for i in combo]):
                names = tuple(reqs[i][0] for i in combo)
                return names, any(reqs[i][1] == "exclusion" for i in combo)
    return tuple(k for k, _ in reqs), False
