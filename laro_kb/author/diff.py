"""``laro-kb diff OLD NEW``: which decisions change between two versions of the knowledge base.

A pathway's verdict is a function of the criteria it requires and excludes. Each criterion is expanded as the kb
defines it: its form, field, terms (with every term that is a kind of them), bound, and the expansion of its parts.
The two versions are then compared pathway by pathway:

- when the evaluation rules (the kb's rules, as opposed to its facts) are the same in both versions and a pathway's
  expansion is the same, the pathway decides every patient the same way: "no change" is a proof, not a sample;
- when they differ, every combination of values of the fields that the changed criteria read is tried: each term the
  criteria mention, another term, each boundary value (B-1, B, B+1) of each bound, true/false, and undocumented.
  These are tried on top of a case that the pathway approves (its witness in either version), so that the other
  criteria hold and the change shows. Each verdict that differs is reported with its example patient and the rules
  responsible in each version.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..case.model import Case
from ..explain.explanation import CID
from ..explain.trace import Tracer
from ..explain.witness import requirements, witness
from ..knowledge.program import Fact, Rule
from .check import FORMS, LINKS

MAX_COMBINATIONS = 20000


@dataclass(frozen=True)
class VerdictChange:
    case: Case
    old: str
    new: str


@dataclass(frozen=True)
class PathwayDiff:
    pathway: str
    status: str  # 'added', 'removed', 'changed', 'unchanged'
    changed_criteria: tuple[str, ...] = ()
    old_rules: tuple[str, ...] = ()  # file:line  statement, of the criteria that differ
    new_rules: tuple[str, ...] = ()
    tried: int = 0
    changes: tuple[VerdictChange, ...] = ()  # first examples of patients whose verdict differs
    differing: int = 0  # how many tried patients differ
    complete: bool = True  # every combination was tried


@dataclass(frozen=True)
class DiffReport:
    old: str
    new: str
    rules_changed: bool
    pathways: tuple[PathwayDiff, ...]

    @property
    def changed(self) -> tuple[PathwayDiff, ...]:
        return tuple(p for p in self.pathways if p.status != "unchanged" and (p.status != "changed" or p.differing))

    @property
    def no_change(self) -> bool:
        return not self.changed


def diff(old, new) -> DiffReport:
    rules_changed = _rules(old) != _rules(new)
    out = []
    for pid in sorted(set(old.pathways) | set(new.pathways)):
        if pid not in new.pathways:
            out.append(PathwayDiff(pid, "removed"))
            continue
        if pid not in old.pathways:
            out.append(PathwayDiff(pid, "added"))
            continue
        eo, en = _expand_pathway(old, pid), _expand_pathway(new, pid)
        if eo == en and not rules_changed:
            out.append(PathwayDiff(pid, "unchanged"))
            continue
        changed = tuple(sorted(k for k in set(eo) | set(en) if eo.get(k) != en.get(k))) or tuple(sorted(eo))
        out.append(_compare(old, new, pid, changed))
    return DiffReport(str(old.directory), str(new.directory), rules_changed, tuple(out))


def _rules(kb) -> frozenset:
    return frozenset((st.head, st.body) for st in kb.statements if isinstance(st, Rule))


def _expand_pathway(kb, pid: str) -> dict:
    return {k: (dim, _expand(kb, k, set())) for k, dim in requirements(kb, pid)}


def _expand(kb, k: str, seen: set):
    c = kb.criteria.get(k)
    if c is None or k in seen:
        return ("undefined", k)
    if c.parts:
        return (c.form, tuple(sorted(_expand(kb, p, seen | {k}) for p in c.parts)))
    if c.form == "is_":
        kinds = {v: tuple(sorted(t for t, _ in kb.engine.ask("kind_of", None, v))) for v in c.values}
        return (c.form, c.field, tuple(sorted((repr(v), kinds[v]) for v in c.values)))
    return (c.form, c.field, c.values)


def _compare(old, new, pid: str, changed: tuple[str, ...]) -> PathwayDiff:
    fields = sorted({f for kb in (old, new) for k in changed for f in _fields(kb, k)})
    bases = [w.case for w in (witness(new, pid), witness(old, pid)) if w.case is not None]
    base = bases[0] if bases else Case(f"diff-{pid}", ())
    domains = [_domain(old, new, f) for f in fields]
    total = 1
    for d in domains:
        total *= len(d)
    examples, differing, tried = [], 0, 0
    for values in itertools.islice(itertools.product(*domains), MAX_COMBINATIONS):
        case = base.with_values(**dict(zip(fields, values)))
        tried += 1
        a, b = _verdict(old, case, pid), _verdict(new, case, pid)
        if a != b:
            differing += 1
            if len(examples) < 3:
                examples.append(VerdictChange(case, a, b))
    return PathwayDiff(pid, "changed", changed, _sources(old, pid, changed), _sources(new, pid, changed), tried,
                       tuple(examples), differing, tried == total)


def _verdict(kb, case: Case, pid: str) -> str:
    tracer = Tracer(kb.program, case.facts(CID, kb.vocabulary))
    answers = tracer.prove("verdict", CID, pid, None)
    if answers:
        return answers[0][0][2]
    return "denied" if tracer.prove("off_indication", CID, pid) else "not a candidate"


def _fields(kb, k: str) -> set[str]:
    c = kb.criteria.get(k)
    if c is None:
        return set()
    return {c.field} if c.field else {f for p in c.parts for f in _fields(kb, p)}


def _domain(old, new, field: str) -> list:
    """The values of a field that the rules of either version can tell apart, and undocumented (None)."""
    f = new.vocabulary.fields.get(field) or old.vocabulary.fields.get(field)
    values: set = set()
    for kb in (old, new):
        for c in kb.criteria.values():
            if c.field != field:
                continue
            if c.form == "is_":
                values |= set(c.values)
            else:
                values |= {c.values[0] - 1, c.values[0], c.values[0] + 1}
    if f is None:
        return [None]
    if f.type == "bool":
        return [True, False, None]
    if f.type == "int":
        lo, hi = f.bounds or (None, None)
        return sorted(v for v in values if (lo is None or lo <= v) and (hi is None or v <= hi)) + [None]
    terms = [t for t in f.term_names() if t in values]
    other = next((t for t in f.term_names() if t not in values), None)
    if f.type == "terms":
        singles = [(t,) for t in terms] + ([(other,)] if other else [])
        return [()] + singles + [None]
    return terms + ([other] if other else []) + [None]




def _sources(kb, pid: str, criteria: tuple[str, ...]) -> tuple[str, ...]:
    """The facts behind the criteria that differ: the pathway's links to them, and their definitions."""
    out = []
    wanted = set(criteria)
    for st in kb.statements:
        if not isinstance(st, Fact) or not st.values:
            continue
        link = st.atom.pred in LINKS and st.values == (pid,) + st.values[1:] and st.values[1] in wanted
        definition = st.atom.pred in FORMS and st.values[0] in wanted
        if link or definition:
            out.append(f"{st.file.rsplit('/', 1)[-1]}:{st.line}  + {st.atom}")
    return tuple(out)


def report_text(r: DiffReport) -> str:
    lines = [f"laro-kb diff: {r.old} -> {r.new}"]
    if r.rules_changed:
        lines.append("The evaluation rules differ: every pathway was compared by enumeration.")
    for p in r.changed:
        if p.status in ("added", "removed"):
            lines.append(f"{p.pathway}: {p.status}")
            continue
        lines.append(f"{p.pathway}: {p.differing} of {p.tried} patients change verdict"
                     + ("" if p.complete else " (the enumeration was cut short)")
                     + f"; criteria that differ: {', '.join(p.changed_criteria)}")
        for ex in p.changes:
            facts = ", ".join(f"{f}={_show(v)}" for f, v in ex.case.values)
            lines.append(f"  e.g. {ex.old} -> {ex.new}: {facts}")
        lines += [f"  old {s}" for s in p.old_rules] + [f"  new {s}" for s in p.new_rules]
    proved = sum(p.status == "unchanged" for p in r.pathways)
    tested = [p for p in r.pathways if p.status == "changed" and not p.differing]
    if tested:
        lines.append(f"{len(tested)} pathways have different rules but decide every tried patient the same: "
                     + ", ".join(p.pathway for p in tested))
    lines.append(f"{len(r.changed)} pathways change; {proved} are proved unchanged (the same criteria and rules)."
                 if r.changed else f"No change: {proved} of {len(r.pathways)} pathways are proved unchanged"
                 + (f" and {len(tested)} decide every tried patient the same." if tested else "."))
    return "\n".join(lines)


def _show(v) -> str:
    if isinstance(v, tuple):
        return "[" + ",".join(v) + "]"
    return str(v).lower() if isinstance(v, bool) else str(v)


__all__ = ["diff", "DiffReport", "PathwayDiff", "VerdictChange", "report_text"]
