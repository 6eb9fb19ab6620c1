"""Generated cases: realistic patient cases drawn from the kb itself, for differential tests and benchmarks.

Each case starts from the minimal approving case of a pathway chosen at random (its witness,
:mod:`laro_kb.explain.witness`); then each documented field is, by chance, dropped (undocumented), or set to
another valid value of its field (a term, the other boolean, a whole number within its bounds). A few cases are made
invalid on purpose (an impossible age), as real input has some. Everything is read from the kb's vocabulary and
pathways, so a change in kb/ changes what is drawn; the same seed draws the same cases.
"""

from __future__ import annotations

import copy
import random
import weakref
from dataclasses import dataclass
from typing import Optional

from ..case.model import Case
from ..engine.sql import report_kind
from ..errors import LaroError
from ..explain.repair import Repairer, concrete
from ..explain.witness import MAX_LEAVES, _allowed_case, _consistent, requirements, witness
from ..knowledge.program import Rule


def generated_cases(kb, n: int, seed: int, *, drop: float = 0.12, change: float = 0.10, invalid: float = 0.05,
                    keep: tuple[str, ...] = ()) -> list[dict]:
    """``n`` case mappings (the case-file form), drawn with ``seed``; fields in ``keep`` are never dropped."""
    rng = random.Random(seed)
    witnesses = {pid: witness(kb, pid).case for pid in sorted(kb.pathways)}
    bases = [case.as_dict() for _, case in sorted(witnesses.items()) if case is not None]
    fields = kb.vocabulary.fields
    out = []
    for i in range(n):
        data = copy.deepcopy(rng.choice(bases))
        data["id"] = f"gen-{seed}-{i}"
        for group, leaf in [(g, k) for g, v in data.items() if isinstance(v, dict) for k in v]:
            name, r = f"{group}.{leaf}", rng.random()
            if r < drop and name not in keep:
                del data[group][leaf]
            elif r < drop + change and name in fields:
                data[group][leaf] = _other_value(rng, fields[name], data[group][leaf])
        if rng.random() < invalid:
            data.setdefault("patient", {})["age"] = rng.choice([-1, 200, "sixty"])
        out.append(data)
    return out


def _other_value(rng: random.Random, f, value):
    if f.type == "bool":
        return not value
    if f.type == "term" and f.terms:
        return rng.choice(f.term_names())
    if f.type == "int" and f.bounds:
        step = f.step or 1
        return rng.randint(*f.bounds) // step * step
    return value


# -- patients for laro-kb diff --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patient:
    case: Case
    source: str  # how it was built, for the report
    pathway: str = ""  # the touched pathway it was built for ("" for a code or value no pathway reads)
    stage: int = 0  # 0: a witness; 1: a witness varied (compared only for pathways the witnesses show no change in)


OPTIONS_PER_WANT = 2  # cases per criterion made met, and made not met


def diff_patients(old, new, rows: dict, rules_changed: bool) -> tuple[list[Patient], tuple[str, ...]]:
    """Patients whose decisions may differ between two versions, and what they were built from.

    ``rows`` are the kb rows that differ (predicate -> (old only, new only)); ``rules_changed`` says whether the
    rules that read patient facts differ (then every pathway is touched). Each touched pathway contributes its
    witness in each version, the witness with each of its criteria made met, not met and undocumented in turn (and,
    for a criterion settled by a derivation that the change touches, with its own fields undocumented and the
    derivation's source met; once per derivation when the rules changed), and the witness with each value the
    changed rows name set on the field it belongs to."""
    kbs = (old, new)
    consts = {v for removed, added in rows.values() for row in removed | added for v in row}
    every = set(old.pathways) | set(new.pathways)
    focus = _focus(kbs, rows, consts)
    sections = {p.section for kb in kbs for p in kb.pathways.values()}
    # a criterion is changed by a row that defines it; a row that also names a pathway or a section links it there
    defining = {v for removed, added in rows.values() for row in removed | added
                if not set(row) & (every | sections) for v in row}
    criteria = _with_parents(kbs, {c for kb in kbs for c in defining if c in kb.criteria})
    linked: dict[str, set] = {}  # pathway -> the criteria a changed row links to it
    for removed, added in rows.values():
        for row in removed | added:
            for pid in set(row) & every:
                linked.setdefault(pid, set()).update(v for v in row if any(v in kb.criteria for kb in kbs))
    if rules_changed:
        touched = every
    else:
        touched = {c for c in consts if c in every}
        touched |= {p for kb in kbs for (p, k) in kb.links if k in criteria or _tests(kb, k, focus)}
        named = consts & sections
        touched |= {p for kb in kbs for p, pw in kb.pathways.items() if pw.section in named}
    out: dict[tuple, Patient] = {}

    current = [""]

    def add(case: Case, source: str, stage: int = 1) -> None:
        out.setdefault(case.values, Patient(Case(f"diff-{len(out) + 1}", case.values), source, current[0], stage))

    read_by_touched: set[str] = set()
    derived: set[tuple] = set()  # the derivations given patients, when the rules changed
    for pid in sorted(touched):
        current[0] = pid
        for base in _bases(kbs, pid):
            add(base, f"the witness of {pid}", 0)
            values = dict(base.values)
            reads: set[str] = set()
            for kb in kbs:
                if pid not in kb.pathways:
                    continue
                repairer = Repairer(kb, respect_immutable=False)
                for k in sorted({k for (p, k) in kb.links if p == pid}):
                    fields = _reads(kb, k)
                    reads |= fields
                    if not rules_changed and k not in criteria and k not in linked.get(pid, ()):
                        continue  # an unchanged criterion: its own values cannot show the change
                    for want in (True, False):
                        for option in _options(repairer, k, want, values):
                            add(base.with_values(**concrete(option, values, repairer._kind_of_any)),
                                f"{pid} with {k} {'met' if want else 'not met'}")
                    add(base.with_values(**{f: None for f in fields}), f"{pid} with {k} undocumented")
                    for d in _derivations(kb, k):  # its own fields undocumented, and the source met
                        if rules_changed:  # once per derivation: the rules, not its rows, changed
                            if (d.criterion, d.source) in derived:
                                continue
                            derived.add((d.criterion, d.source))
                        elif not {d.criterion, d.source, *d.unless} & criteria:
                            continue  # a derivation the changed rows do not touch
                        own = _reads(kb, d.criterion)
                        kept = {f: v for f, v in values.items() if f not in own}
                        for option in _options(repairer, d.source, True, kept):
                            add(base.with_values(**{**{f: None for f in own},
                                                    **concrete(option, kept, repairer._kind_of_any)}),
                                f"{pid} with {d.criterion} {d.settles} by derivation from {d.source}")
            read_by_touched |= reads
            for name in sorted(set(focus) & reads):
                _vary(base, name, focus[name], kbs, add, f"{pid} with the changed values of {name}")
    current[0] = ""
    unread = [name for name in focus if name not in read_by_touched]
    if unread:  # values no criterion reads (a diagnosis code): on one witness of each section
        for base in _section_bases(kbs, consts):
            for name in unread:
                _vary(base, name, focus[name], kbs, add, f"a {base.get('diagnosis.section')} witness with the "
                                                         f"changed values of {name}")
    sources = []
    if touched:
        sources.append(f"the witnesses of {len(touched)} pathways"
                       + (" (every pathway: a rule that reads patient facts changed)" if rules_changed else
                          f" ({_few(sorted(touched))})")
                       + ", each criterion met, not met and undocumented")
    if focus:
        sources.append("the changed values of " + _few(sorted(focus)))
    return list(out.values()), tuple(sources)


def _few(names: list[str], n: int = 6) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def _focus(kbs, rows: dict, consts: set) -> dict[str, set]:
    """field -> the values the changed rows name for it (terms, codes, numbers near a bound)."""
    focus: dict[str, set] = {}
    codes = {row[0] for kb in kbs for row in kb.engine.rows("code/3")}
    for kb in kbs:
        for f in kb.vocabulary.fields.values():
            values = focus.get(f.name, set())
            if f.name in consts:
                values = focus.setdefault(f.name, values)
                for removed, added in rows.values():
                    for row in removed | added:
                        if f.name in row and f.type == "int":
                            values |= {v + d for v in row if _number(v) for d in (-1, 0, 1)}
            terms = {t for t in f.term_names() if t in consts}
            if terms:
                focus.setdefault(f.name, values).update(terms)
            if f.type == "code" and consts & codes:
                focus.setdefault(f.name, values).update(c for c in consts & codes)
    for f, values in focus.items():
        field = next((kb.vocabulary.fields[f] for kb in kbs if f in kb.vocabulary.fields), None)
        if field is not None and field.bounds:
            focus[f] = {v for v in values if not _number(v) or field.bounds[0] <= v <= field.bounds[1]}
    return focus


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _vary(base: Case, name: str, values: set, kbs, add, source: str) -> None:
    field = next((kb.vocabulary.fields[name] for kb in kbs if name in kb.vocabulary.fields), None)
    if field is None:
        return
    add(base.with_values(**{name: None}), source)
    if field.type == "bool":
        values = values | {True, False}
    for v in sorted(values, key=repr):
        if field.type == "terms":
            add(base.with_values(**{name: (v,)}), source)
            add(base.with_values(**{name: tuple(sorted(set(base.get(name, ())) | {v}))}), source)
        else:
            add(base.with_values(**{name: v}), source)


def _bases(kbs, pid: str) -> list[Case]:
    out = []
    for kb in kbs:
        if pid in kb.pathways:
            case = witnesses(kb).get(pid)
            if case is not None and all(case.values != o.values for o in out):
                out.append(case)
    return out


def witnesses(kb) -> dict[str, Optional[Case]]:
    """The witness of every pathway of ``kb`` (None: none found), as :func:`laro_kb.explain.witness.witness` finds
    it: the first of the pathway's candidate cases, in the same order and within the same bound, that the kb approves
    under it. Those laro-kb check found are remembered (:func:`remember_witnesses`); the others, with the SQL engine,
    are found by deciding the candidates set-at-a-time instead of proving them one at a time by the tracer: every
    pathway's first candidate in one run, then the next five of the pathways still without a witness, then the rest
    of the first ``DEEP_DEAD`` of those, deriving verdicts alone (a kb that approves nothing asks its engine about
    1,000 cases in three runs, not the tracer for 3,000 proofs). A kb the engine cannot decide with has none (diff
    reports that for every patient). Found once per loaded kb, then remembered."""
    known = _WITNESSES.get(kb)
    if known is None:
        known = _WITNESSES[kb] = {}
    missing = [pid for pid in sorted(kb.pathways) if pid not in known]
    if missing and getattr(kb.decider, "database", None) is None:
        known.update((pid, _proved_witness(kb, pid)) for pid in missing)
    elif missing:
        known.update(_decided(kb, missing) or dict.fromkeys(missing))
    return known


def remember_witnesses(kb, cases: dict[str, Case]) -> None:
    """Witnesses of ``kb`` found by the rules' own search (laro-kb check's), for :func:`witnesses` to use."""
    known = _WITNESSES.get(kb)
    if known is None:
        known = _WITNESSES[kb] = {}
    known.update(cases)


_WITNESSES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {pathway: its witness or None}
ROUNDS = (1, 6, MAX_LEAVES)  # the candidates of each pathway decided by the first, second and last run
# pathways searched to the full bound once others found none: a kb whose rules approve nothing leaves every pathway
# without a witness, and searching each of them deeper tells nothing more (laro-kb check bounds its search so too)
DEEP_DEAD = 3


def _proved_witness(kb, pid: str) -> Optional[Case]:
    try:
        return witness(kb, pid).case
    except RecursionError:  # a criterion that is a part of itself (laro-kb check reports it): no witness
        return None


def _decided(kb, pids: list[str]) -> Optional[dict[str, Optional[Case]]]:
    """The witnesses of ``pids`` by the SQL engine (None: it cannot decide with this kb)."""
    repairer = Repairer(kb)
    pending = {pid: witness_candidates(kb, repairer, pid) for pid in pids}
    found: dict[str, Optional[Case]] = dict.fromkeys(pids)
    start = 0
    for end in ROUNDS:
        if end == ROUNDS[-1]:  # the last round searches a few pathways to the full bound, as laro-kb check does
            pending = dict(list(pending.items())[:DEEP_DEAD])
        asked = [(pid, case) for pid, cases in pending.items() for case in cases[start:end] if case is not None]
        start = end
        if not asked:
            break
        cids = [f"#witness{i}" for i in range(len(asked))]
        facts = [f for (_, case), cid in zip(asked, cids) for f in case.facts(cid, kb.vocabulary)]
        try:
            rows = report_rows(kb, facts, cids, _all_but_verdicts(kb))
        except (LaroError, RecursionError):
            return None
        approved = {(cid, a) for cid, kind, a, b, _ in rows if kind == "verdict" and b == "approved"}
        for (pid, case), cid in zip(asked, cids):
            if (cid, pid) in approved and pid in pending:
                found[pid] = case
                del pending[pid]  # the first approved candidate, in order: cases of a round keep their order
    return found


def report_rows(kb, facts: list, cids: list, omit: frozenset[str] = frozenset()) -> list[tuple]:
    """The report rows of many cases (without those of the kinds in ``omit``): in DuckDB, set-at-a-time, when the kb
    decides with SQL and the cases are many; fewer in SQLite, ``SQLITE_RUN`` cases a run (SQLite's plans are tuned
    for one case's few rows, and a run of forty is slower again; a run of ten spreads the fixed cost of a run's steps
    and costs less than ten runs of one); else with the kb's own engine."""
    database = getattr(kb.decider, "database", None)
    if database is None or len(cids) >= kb.decider.MANY:  # the SQL engine's choice for many: DuckDB, values coded
        return kb.decider.report(facts, cids, omit)
    by_case: dict[str, list] = {}
    for f in facts:
        by_case.setdefault(f[1], []).append(f)
    sqlite = database("sqlite", omit)
    return [row for i in range(0, len(cids), SQLITE_RUN)
            for row in sqlite.report([f for cid in cids[i:i + SQLITE_RUN] for f in by_case.get(cid, ())])]


SQLITE_RUN = 10  # cases decided by one run of the SQLite program (measured: benchmarks/bench_sqlite_runs.py)



def _all_but_verdicts(kb) -> frozenset[str]:
    """The kinds of report row other than verdicts: a search for witnesses derives verdicts alone."""
    return frozenset(report_kind(st) for st in kb.statements
                     if isinstance(st, Rule) and st.head.key == "report/5") - {"verdict"}


def witness_candidates(kb, r: Repairer, pid: str, limit: int = MAX_LEAVES) -> list[Optional[Case]]:
    """The cases the witness search of ``pid`` tries, in its order and bound (None for one whose values the
    vocabulary's conflicts forbid); the first ``limit`` of them only, when fewer are asked for."""
    try:
        options = [r._options(k, dim != "exclusion", {}) for k, dim in requirements(kb, pid)]
        base = Case(f"witness-{pid}", ())
        out = []
        for merged in _consistent(options, {}, 0, r._kind_of_any):
            case = base.with_values(**concrete(merged, {}, r._kind_of_any))
            out.append(case if _allowed_case(kb, case) else None)
            if len(out) >= min(limit, MAX_LEAVES):
                break
        return out
    except RecursionError:  # a criterion that is a part of itself (laro-kb check reports it): no witness
        return []


def _options(repairer, k: str, want: bool, values: dict) -> list[dict]:
    try:
        return repairer._options(k, want, values)[:OPTIONS_PER_WANT]
    except RecursionError:
        return []


def _section_bases(kbs, consts: set) -> list[Case]:
    sections = {}
    for kb in kbs:
        for pid, p in sorted(kb.pathways.items()):
            sections.setdefault(p.section, pid)
    return [c for pid in sections.values() for c in _bases(kbs, pid)[:1]]


def _reads(kb, k: str, seen: Optional[set] = None) -> set[str]:
    """The fields criterion ``k`` reads, through its parts."""
    seen = seen if seen is not None else set()
    c = kb.criteria.get(k)
    if c is None or k in seen:
        return set()
    seen.add(k)
    return {c.field} if c.field else {f for p in c.parts for f in _reads(kb, p, seen)}


def _derivations(kb, k: str, seen: Optional[set] = None) -> list:
    """The derivations of criterion ``k`` and of its parts (kb/logic.dl implied/ruled_out)."""
    seen = seen if seen is not None else set()
    c = kb.criteria.get(k)
    if c is None or k in seen:
        return []
    seen.add(k)
    return list(kb.derivations.get(k, ())) + [d for p in c.parts for d in _derivations(kb, p, seen)]


def _tests(kb, k: str, focus: dict, seen: Optional[set] = None) -> bool:
    """Whether criterion ``k`` (through its parts) tests a focused value: a term the changed rows name (or a kind of
    it), or any value of a focused number field."""
    seen = seen if seen is not None else set()
    c = kb.criteria.get(k)
    if c is None or k in seen:
        return False
    seen.add(k)
    if c.field:
        if c.field not in focus:
            return False
        values = focus[c.field]
        return c.form != "is_" or not values or bool(set(c.values) & values)
    return any(_tests(kb, p, focus, seen) for p in c.parts)


def _with_parents(kbs, criteria: set[str]) -> set[str]:
    """The criteria and every composite criterion that has one of them as a part, in either version."""
    parents: dict[str, set] = {}
    for kb in kbs:
        for c in kb.criteria.values():
            for part in c.parts:
                parents.setdefault(part, set()).add(c.id)
    out, todo = set(criteria), list(criteria)
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in out:
                out.add(parent)
                todo.append(parent)
    return out
