"""The smallest change of documented facts that would make a pathway approvable.

Working from a criterion's form as the kb declares it (``is_``, ``at_least``, ..., ``any_``, ``all_``, ``not_``), it
proposes field values that would make the criterion met (or, for an exclusion, not met). Each proposal is then
*verified* by deciding the changed case with the engine. A fact that the kb marks ``immutable/1`` (a diagnosis, an
age, a history) is never proposed to change once it is documented. It may still be proposed for documentation while
it is unknown: asking for an undocumented NTRK result is fair, but asking for a different one is not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Optional

from ..case.model import Case
from ..knowledge.pathways import Criterion
from ..knowledge.vocabulary import show_value
from .trace import Tracer

MAX_TRIES = 24


@dataclass(frozen=True)
class Terms:
    """A constraint on a list field: terms it must have, and terms (with their kinds) it must lack."""

    has: frozenset = frozenset()
    lacks: frozenset = frozenset()


@dataclass(frozen=True)
class Change:
    """Set each field to a value: the smallest verified change, or why there is none."""

    sets: tuple[tuple[str, object], ...]
    verified: bool
    reason: str = ""
    fixed: tuple[tuple[str, object], ...] = ()  # documented facts that cannot change and stand in the way

    def describe(self, show=show_value) -> str:
        """The change in words; ``show`` writes a case value (a renderer may escape it)."""
        if self.fixed:
            return needs_different(self.fixed, show)
        if not self.sets:
            return self.reason or "no change of documentation can make it approvable"
        return ", ".join(f"{f} were {show(v)}" for f, v in self.sets)


def needs_different(fixed: tuple[tuple[str, object], ...], show=show_value) -> str:
    what = ", ".join(f"{f} (documented {show(v)})" for f, v in fixed) or "facts that cannot change"
    return f"no change of documentation can make it approvable: it would need a different {what}"


class Repairer:
    def __init__(self, kb, respect_immutable: bool = True):
        self.kb = kb
        self.criteria: dict[str, Criterion] = kb.criteria
        self.fields = kb.vocabulary.fields
        self.respect_immutable = respect_immutable
        self.points = boundary_points(kb)

    def for_pathway(self, case: Case, pathway_id: str, statuses: dict[str, str], exclusions: set[str]) -> Change:
        """``statuses``: criterion -> met / not_met / unknown (excluded / clear for exclusions)."""
        values = dict(case.values)
        needs, self._pending = [], []
        for k, status in sorted(statuses.items()):
            if k in exclusions:
                if status != "clear":
                    needs.append(self._options(k, False, values))
                    self._pending.append(k)
            elif status != "met":
                needs.append(self._options(k, True, values))
                self._pending.append(k)
        if not needs:
            return Change((), True, "already approvable")
        if any(not opts for opts in needs):
            fixed = sorted({f for k, opts in zip(self._pending, needs) if not opts for f in self._fields_of(k)
                            if f in values and self.fields.get(f) is not None and self.fields[f].immutable})
            documented = tuple((f, values[f]) for f in fixed)
            return Change((), False, needs_different(documented), documented)
        tried = 0
        candidates = []
        for combo in itertools.islice(itertools.product(*[opts[:4] for opts in needs]), 4096):
            merged = _merge(combo, values, self._kind_of_any)
            if merged is not None:
                candidates.append(concrete(merged, values, self._kind_of_any))
        for merged in sorted(candidates, key=len):  # stable: each criterion's options come nearest first
            tried += 1
            if tried > MAX_TRIES:
                break
            if self.approves(case.with_values(**merged), pathway_id):
                return Change(tuple(sorted(merged.items())), True)
        return Change((), False, "no combination tried makes it approvable (the criteria may conflict)")

    def approves(self, case: Case, pathway_id: str) -> bool:
        """Whether the kb's rules approve ``case`` under ``pathway_id`` (proved by the tracer)."""
        tracer = Tracer(self.kb.program, case.facts("#repair", self.kb.vocabulary))
        return bool(tracer.prove("verdict", "#repair", pathway_id, "approved"))

    # -- what would make criterion k met (want=True) or not met (want=False) ----------------------------
    def _options(self, k: str, want: bool, values: dict) -> list[dict]:
        c = self.criteria.get(k)
        if c is None:
            return []
        if c.form == "not_":
            return self._options(c.parts[0], not want, values)
        if c.form in ("any_", "all_"):
            per_part = [self._options(p, want, values) for p in c.parts]
            if (c.form == "any_") == want:  # one part suffices
                return sorted((o for opts in per_part for o in opts), key=len)[:8]
            combos = []
            for combo in itertools.product(*[opts[:4] for opts in per_part]):
                merged = _merge(combo, values, self._kind_of_any)
                if merged is not None:
                    combos.append(merged)
            return sorted(combos, key=len)[:6]
        return [o for o in self._atomic(c, want, values) if self._allowed(o, values)]

    def _atomic(self, c: Criterion, want: bool, values: dict) -> list[dict]:
        f = self.fields.get(c.field)
        if f is None:
            return []
        if c.form == "is_":
            if f.type == "terms":
                if want:
                    return [{f.name: Terms(has=frozenset({v}))} for v in c.values]
                return [{f.name: Terms(lacks=frozenset(c.values))}]
            if want:
                return [{f.name: v} for v in c.values]
            if f.type == "bool":
                return [{f.name: not c.values[0]}]
            others = [t for t in f.term_names() if t not in c.values and not self._kind_of_any(t, c.values)]
            return [{f.name: t} for t in others]
        # every boundary point of the field (B-1, B, B+1 of each bound on it) on the wanted side, nearest first
        bound = c.values[0]
        test = {"at_least": lambda x: x >= bound, "more_than": lambda x: x > bound,
                "at_most": lambda x: x <= bound, "less_than": lambda x: x < bound}[c.form]
        fits = [x for x in self.points.get(f.name, ()) if test(x) == want]
        return [{f.name: x} for x in sorted(fits, key=lambda x: (abs(x - bound), x))]

    def _fields_of(self, k: str) -> set[str]:
        c = self.criteria.get(k)
        if c is None:
            return set()
        if c.field:
            return {c.field}
        return {f for p in c.parts for f in self._fields_of(p)}

    def _kind_of_any(self, term, parents) -> bool:
        up = dict(self.kb.vocabulary.is_a)
        seen = set()
        while term is not None and term not in seen:
            if term in parents:
                return True
            seen.add(term)
            term = up.get(term)
        return False

    def _allowed(self, option: dict, values: dict) -> bool:
        if not self.respect_immutable:
            return True
        for name, value in concrete(option, values, self._kind_of_any).items():
            f = self.fields.get(name)
            if f is not None and f.immutable and name in values and values[name] != value:
                return False
        return True


def boundary_points(kb) -> dict[str, list[int]]:
    """For each numeric field a criterion reads: B-1, B and B+1 of every bound on it, within the field's range."""
    points: dict[str, set] = {}
    for c in kb.criteria.values():
        if c.form in ("at_least", "more_than", "at_most", "less_than"):
            f = kb.vocabulary.fields.get(c.field)
            for x in (c.values[0] - 1, c.values[0], c.values[0] + 1):
                if f is not None and f.bounds and not f.bounds[0] <= x <= f.bounds[1]:
                    continue
                if f is not None and f.step and x % f.step:
                    continue
                points.setdefault(c.field, set()).add(x)
    return {k: sorted(v) for k, v in points.items()}


def _merge(options, values: dict, kind_of=None) -> Optional[dict]:
    """One assignment from several options (None if they conflict), as concrete values against ``values``."""
    merged: dict = {}
    for o in options:
        for k, v in o.items():
            if k in merged and merged[k] != v:
                if isinstance(v, Terms) and isinstance(merged[k], Terms):
                    both = Terms(merged[k].has | v.has, merged[k].lacks | v.lacks)
                    if any(t == x or (kind_of and kind_of(t, (x,))) for t in both.has for x in both.lacks):
                        return None
                    merged[k] = both
                    continue
                return None
            merged[k] = v
    return merged


def concrete(merged: dict, values: dict, kind_of=None) -> dict:
    """Field values for an assignment: a list field keeps its documented terms, plus ``has``, less ``lacks``."""
    out = {}
    for k, v in merged.items():
        if isinstance(v, Terms):
            current = set(values.get(k, ()))
            kept = {t for t in current if not (t in v.lacks or (kind_of and kind_of(t, tuple(v.lacks))))}
            v = tuple(sorted(kept | set(v.has)))
        if values.get(k) != v:
            out[k] = v
    return out
