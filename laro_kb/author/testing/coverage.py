"""Coverage of the policy by decision tests, computed from the decisions the tests produced.

- each pathway: how many tests approved it, and how many reached it without approving it (it was a candidate,
  pending or denied);
- each criterion a pathway requires: in how many tests it was met, and in how many not met or unknown; each
  exclusion: in how many it was excluded, and in how many clear;
- each numeric criterion (``at_least``, ``more_than``, ``at_most``, ``less_than``): the values of its field in the
  tests that reached it, and which side of the bound each fell on. It is tested at and around its boundary when
  the bound and the values one step either side (those the field allows) were all tested.

:func:`measure` computes a :class:`Coverage`; ``laro-kb test`` (:mod:`laro_kb.author.testing.run`) reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...decision import Decision

NUMERIC = {"at_least": ">=", "more_than": ">", "at_most": "<=", "less_than": "<"}
SHARED = "shared"  # the group of a criterion that pathways of more than one section use


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
    one_way: bool = False  # a candidate can only find it met: a section's indication, or a criterion always met

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
        return bool(self.seen(0) and (self.seen(1) or self.one_way))


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


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


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
    # a section's indication is met by every candidate of the section (a case without a section is asked for it
    # before any section's pathway), and an always-met criterion is met by every case: neither can be seen otherwise
    one_way = {k for _s, k in kb.engine.ask("section_indication", None, None)} | \
        {k for (k,) in kb.engine.ask("always", None)}
    criteria = tuple(CriterionCoverage(k, kinds[k], sections.get(k, SHARED), tuple(sorted(statuses.get(k, {}).items())),
                                       k in one_way)
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
