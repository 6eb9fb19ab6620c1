"""Semantic checks: over the space of patients that the kb's criteria can tell apart.

- every pathway has a witness (a case it approves); a dead pathway is reported with the smallest set of criteria
  that conflict, and a pathway that could only fire when excluded is reported as such;
- a pathway subsumed by another (every patient the first approves, the second approves too) is reported;
- thresholds on one field that disagree across sections (age >= 18 against > 18) are reported;
- sections with no code in the code table, and codes with no section, are reported;
- a derivation whose source can never hold, or that could count against approval, is reported.
"""

from __future__ import annotations

import weakref

from ..explain.witness import MAX_LEAVES, Witness, requirements, witness
from ..knowledge.pathways import Criterion
from .findings import Finding
from .generate import DEEP_DEAD, remember_witnesses, report_rows


FEW_LEAVES = 4  # combinations tried for each pathway once DEEP_DEAD dead ones were searched to the full bound


def semantic_findings(kb, reference=None) -> list[Finding]:
    """The semantic findings of a loaded kb; a :class:`~laro_kb.author.reference.WitnessReference` of another version
    of it lends the witnesses whose search the difference cannot change."""
    where = _pathway_lines(kb)
    out: list[Finding] = always_met(kb)
    lent = reference.lend(kb) if reference is not None else {}
    witnesses: dict[str, Witness] = {}
    for pid in kb.pathways:
        # a kb whose rules approve nothing makes every search exhaust its bound: after a few dead pathways, the
        # others are searched less deeply (they are reported dead all the same, and the cause is one rule)
        dead = sum(v.case is None for v in witnesses.values())
        bound = MAX_LEAVES if dead < DEEP_DEAD else FEW_LEAVES
        if pid in lent and lent[pid][0] < bound:  # the search would try the same cases and find this witness
            witnesses[pid] = lent[pid][1]
            continue
        w = witness(kb, pid, bound)
        witnesses[pid] = w
        if w.case is None:
            if w.only_when_excluded:
                out.append(Finding("error", "excluded-always", f"pathway {pid} can only be met when one of its own "
                                   f"exclusions holds ({', '.join(w.conflict)})", "remove the exclusion or the "
                                   "requirement that implies it", pathway=pid, **where.get(pid, {})))
            else:
                out.append(Finding("error", "dead-pathway", f"pathway {pid} can never be met: its criteria "
                                   f"{', '.join(w.conflict)} conflict", "correct one of the conflicting criteria",
                                   pathway=pid, **where.get(pid, {})))
    from .policy import policy_findings
    out += policy_findings(kb)
    out += _impossible(kb)
    out += _derivations(kb)
    remember_witnesses(kb, {pid: w.case for pid, w in witnesses.items() if w.case is not None})  # for diff
    out += _engine(kb, witnesses, where)
    out += _subsumption(kb, witnesses, where)
    out += _redundant(kb, where)
    out += _stems(kb, where)
    out += _hierarchy(kb)
    out += _thresholds(kb)
    out += _codes(kb)
    return out


def _pathway_lines(kb) -> dict[str, dict]:
    return {st.values[0]: {"file": st.file, "line": st.line} for st in kb.statements
            if not hasattr(st, "body") and st.atom.key == "pathway/4"}


def _subsumption(kb, witnesses, where) -> list[Finding]:
    """A is subsumed by B when each requirement of B is implied by one of A, and B excludes nothing A allows."""
    reqs = {p: requirements(kb, p) for p in kb.pathways}
    need = {p: frozenset(k for k, d in r if d != "exclusion") for p, r in reqs.items()}
    excl = {p: frozenset(k for k, d in r if d == "exclusion") for p, r in reqs.items()}
    needed = sorted(set().union(*need.values()))
    # each required criterion with the required criteria it implies (itself among them, when it is defined): only
    # a criterion that reads one of the fields x reads can be implied by x (or one that reads none, an empty set)
    fields = {k: _fields(kb, k) for k in needed}
    implied = {x: {y for y in needed if (fields[x] & fields[y] or not fields[y])
                   and _implies(kb.criteria.get(x), kb.criteria.get(y), kb)} for x in needed}
    out = []
    for a in reqs:
        if witnesses[a].case is None:
            continue
        covered = set().union(*(implied[x] for x in need[a]))  # what every patient that a approves meets
        for b in reqs:
            if a == b or not excl[b] <= excl[a] or not need[b] <= covered:
                continue
            same = need[a] == need[b] and excl[a] == excl[b]
            if same and a > b:
                continue  # report an identical pair once
            kind = "has identical criteria to" if same else "is subsumed by"
            out.append(Finding("warning", "duplicate-pathway" if same else "subsumed-pathway",
                               f"pathway {a} {kind} {b}: every patient {a} approves, {b} approves too",
                               "make the pathways differ, or note in docs/policy-notes.md why the overlap is the "
                               "policy's own", pathway=a, **where.get(a, {})))
    return out


def _fields(kb, k: str, depth: int = 0) -> frozenset[str]:
    """The fields criterion ``k`` reads, through its parts."""
    c = kb.criteria.get(k)
    if c is None or depth > 20:
        return frozenset()
    return frozenset({c.field} if c.field else {f for p in c.parts for f in _fields(kb, p, depth + 1)})


_IMPLIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {(x, y): bool}


def _implies(x: Criterion, y: Criterion, kb, depth: int = 0) -> bool:
    """Whether x being met always means y is met (remembered per loaded kb)."""
    if x is None or y is None:
        return False
    known = _IMPLIES.get(kb)
    if known is None:
        known = _IMPLIES[kb] = {}
    key = (x.id, y.id)
    if key not in known:
        known[key] = _implies_now(x, y, kb, depth)
    return known[key]


def _implies_now(x: Criterion, y: Criterion, kb, depth: int = 0) -> bool:
    """Whether x being met always means y is met (a sound, incomplete test on the criteria's forms): an any_ set
    implies y when each of its options does, and x implies an all_ set when it implies each part."""
    if x is None or y is None or depth > 20:
        return False
    if x.id == y.id:
        return True
    # x met by derivation from a source: then y must follow from each source too
    if not all(_implies(kb.criteria.get(d.source), y, kb, depth + 1)
               for d in kb.derivations.get(x.id, ()) if d.kind == "implied"):
        return False
    if x.form == "any_" and all(_implies(kb.criteria.get(p), y, kb, depth + 1) for p in x.parts):
        return True
    if y.form == "all_" and all(_implies(x, kb.criteria.get(p), kb, depth + 1) for p in y.parts):
        return True
    if x.form == "all_" and any(_implies(kb.criteria.get(p), y, kb, depth + 1) for p in x.parts):
        return True
    if y.form == "any_" and any(_implies(x, kb.criteria.get(p), kb, depth + 1) for p in y.parts):
        return True
    if x.field and x.field == y.field:
        if x.form == y.form == "is_":
            return all(v in y.values or _kind_of_any(kb, v, y.values) for v in x.values)
        lo = {"at_least": 0, "more_than": 1}
        hi = {"at_most": 0, "less_than": -1}
        if x.form in lo and y.form in lo:
            return x.values[0] + lo[x.form] >= y.values[0] + lo[y.form]
        if x.form in hi and y.form in hi:
            return x.values[0] + hi[x.form] <= y.values[0] + hi[y.form]
    return False


def _kind_of_any(kb, term, parents) -> bool:
    up = _UP.get(kb)
    if up is None:
        up = _UP[kb] = {}
        for child, parent in kb.vocabulary.is_a:
            up.setdefault(child, set()).add(parent)
    seen, todo = set(), [term]
    while todo:
        t = todo.pop()
        if t in parents:
            return True
        if t not in seen:
            seen.add(t)
            todo.extend(up.get(t, ()))
    return False


_UP: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {term: the terms it is a kind of}


def _definitions(kb) -> dict[str, object]:
    """criterion -> the first fact that defines it (for file and line)."""
    forms = ("is_/3", "at_least/3", "more_than/3", "at_most/3", "less_than/3", "any_/2", "all_/2", "not_/2")
    out: dict = {}
    for st in kb.statements:
        if not hasattr(st, "body") and st.atom.key in forms:
            out.setdefault(st.values[0], st)
    return out


def _impossible(kb) -> list[Finding]:
    """A criterion that no patient can meet: parts that need two terms of a one-term field, or values that the
    vocabulary's conflicts forbid together."""
    from ..explain.repair import Repairer, concrete
    from ..explain.witness import _allowed_case
    from ..case.model import Case
    r = Repairer(kb, respect_immutable=False)
    defs = _definitions(kb)
    used = {k for (_, k) in kb.links}
    out = []
    for k, c in sorted(kb.criteria.items()):
        if c.form not in ("all_", "any_", "not_") or k not in used:
            continue
        options = r._options(k, True, {})
        if any(_allowed_case(kb, Case("c", tuple(concrete(o, {}, r._kind_of_any).items()))) for o in options):
            continue
        st = defs.get(k)
        users = sorted(p for (p, kk) in kb.links if kk == k)
        out.append(Finding("error", "impossible-criterion", f"criterion {k} can never be met: its parts need values "
                           "that exclude one another (two terms of a one-term field, or a conflict of the "
                           f"vocabulary); used by {', '.join(users)}", "correct the part that cannot hold with the "
                           "others", st.file if st else None, st.line if st else None, users[0] if users else None))
    return out


def _derivations(kb) -> list[Finding]:
    """Derivations that cannot be right: one whose source no patient can meet (it never applies; proved by the
    rules on the source's candidate cases), and one that could count against approval: a criterion implied (made
    met) where a pathway excludes it or negates it, or ruled out (made not met) where a pathway requires it. A
    derivation may only settle what documentation would otherwise have to, in the patient's favour: unknown is
    never false, and no derivation denies."""
    from ..case.model import Case
    from ..explain.repair import Repairer, concrete
    from ..explain.trace import Tracer
    from ..explain.witness import _allowed_case
    where = {(st.atom.pred, *st.values): st for st in kb.statements
             if not hasattr(st, "body") and st.atom.key in ("implied/2", "ruled_out/2")}
    signs = _signs(kb)
    r = Repairer(kb, respect_immutable=False)
    out = []
    for k, derivations in sorted(kb.derivations.items()):
        for d in derivations:
            st = where.get((d.kind, k, d.source))
            at = {"file": st.file, "line": st.line} if st else {}
            meets = (Case("c", tuple(concrete(o, {}, r._kind_of_any).items())) for o in r._options(d.source, True, {}))
            if not any(_allowed_case(kb, c) and Tracer(kb.program, c.facts("#d", kb.vocabulary)).proof(
                    "holds", "#d", d.source) for c in meets):
                out.append(Finding("error", "derivation-never-applies", f"criterion {k} is {d.settles} by "
                                   f"derivation from {d.source}, which no patient can meet, so the derivation never "
                                   "applies", f"derive {k} from a criterion that can hold, or remove the derivation",
                                   **at))
            against = -1 if d.kind == "implied" else 1  # the use in which what the derivation makes k counts against
            if against in signs.get(k, set()):
                use = ("excludes it or negates it (not_)" if d.kind == "implied" else "requires it")
                out.append(Finding("error", "derivation-against-approval", f"criterion {k} is {d.settles} by "
                                   f"derivation from {d.source}, but a pathway {use}: a derivation there would count "
                                   "against approval, from facts no one documented", "derive only what counts for "
                                   "approval where the criterion is used (a derivation settles what is otherwise "
                                   "unknown, and unknown is never false)", **at))
    return out


def _signs(kb) -> dict[str, set[int]]:
    """How each criterion counts in the pathways that read it: +1 where its being met counts for approval (a
    requirement), -1 where it counts against (an exclusion); through not_ the sign turns, and a derivation's source
    counts as the criterion it settles (turned, for ruled_out)."""
    signs: dict[str, set[int]] = {}
    todo = [(k, -1 if dim == "exclusion" else 1) for (_p, k), dim in kb.links.items()]
    while todo:
        k, sign = todo.pop()
        if sign in signs.setdefault(k, set()):
            continue
        signs[k].add(sign)
        c = kb.criteria.get(k)
        for part in (c.parts if c else ()):
            todo.append((part, -sign if c.form == "not_" else sign))
        for d in kb.derivations.get(k, ()):
            todo.append((d.source, sign if d.kind == "implied" else -sign))
    return signs


def _engine(kb, witnesses, where) -> list[Finding]:
    """The deciding engine on a witness of each section: it approves the witness under its pathway, as the rules'
    proof does, gives each criterion of each candidate pathway one status, and makes one decision."""
    from ..errors import LaroError
    sections: dict[str, str] = {}  # one witness per section: a broken rule shows in every section
    for pid, w in sorted(witnesses.items()):
        if w.case is not None:
            sections.setdefault(kb.pathways[pid].section, pid)
    cases = [(pid, witnesses[pid].case) for pid in sorted(sections.values())]
    cids = [f"#check{i}" for i in range(len(cases))]
    facts = [f for (_, case), cid in zip(cases, cids) for f in case.facts(cid, kb.vocabulary)]
    try:
        rows = report_rows(kb, facts, cids)
    except (LaroError, RecursionError) as exc:
        return [Finding("error", "engine-fails", f"the {kb.engine_name} engine cannot decide with this kb: "
                        f"{getattr(exc, 'message', None) or type(exc).__name__}", "fix the rule named; run laro-kb "
                        "check again", getattr(exc, "file", None), getattr(exc, "line", None))]
    verdicts: dict[tuple, set] = {}
    statuses: dict[tuple, set] = {}
    decisions: dict[str, set] = {}
    for cid, kind, a, b, c in rows:
        if kind == "decision":
            decisions.setdefault(cid, set()).add(a)
        if kind == "verdict":
            verdicts.setdefault((cid, a), set()).add(b)
        elif kind == "status":
            statuses.setdefault((cid, a, b), set()).add(c)
    out = []
    for (pid, case), cid in zip(cases, cids):
        got = verdicts.get((cid, pid), set())
        if got != {"approved"}:
            out.append(Finding("error", "engine-disagrees", f"the rules prove that the witness of {pid} is approved "
                               f"under it, but the {kb.engine_name} engine gives {', '.join(sorted(got)) or 'no verdict'}"
                               f" (case: {', '.join(f'{f}={v}' for f, v in case.values)})",
                               "a rule of kb/logic.dl derives contradictory verdicts; check its negations",
                               pathway=pid, **where.get(pid, {})))
    wrong = [(pid, decisions.get(cid, set())) for (pid, _), cid in zip(cases, cids)
             if decisions.get(cid, set()) != {"approve"}]
    if wrong:
        pid, got = wrong[0]
        out.append(Finding("error", "decision-conflict", f"{len(wrong)} witnesses approved under their pathway are "
                           f"not decided 'approve' alone (the witness of {pid} is decided "
                           f"{' and '.join(sorted(got)) or 'nothing'})", "the decision rules of kb/logic.dl must give "
                           "exactly one of approve, pend, deny; check their negations", pathway=pid,
                           **where.get(pid, {})))
    both = sorted({(pid, k, tuple(sorted(s))) for (cid, pid, k), s in statuses.items() if len(s) > 1})
    for pid, k, s in both[:10]:
        out.append(Finding("error", "criterion-status-conflict", f"criterion {k} of {pid} is {' and '.join(s)} at "
                           "once for one patient: holds and fails (or their exclusion forms) are not exclusive",
                           "check the negations of the holds/fails rules in kb/logic.dl", pathway=pid,
                           **where.get(pid, {})))
    return out


def _redundant(kb, where) -> list[Finding]:
    """Drafting slips a machine can find: a required criterion implied by another of the same pathway (it can never
    matter), and an option of an any_ set implied by another option."""
    out = []
    defs = _definitions(kb)
    for pid in sorted(kb.pathways):
        needs = sorted(k for k, d in requirements(kb, pid) if d != "exclusion")
        for k in needs:
            by = next((o for o in needs if o != k and _implies(kb.criteria.get(o), kb.criteria.get(k), kb)
                       and not _implies(kb.criteria.get(k), kb.criteria.get(o), kb)), None)
            if by:
                out.append(Finding("info", "criterion-never-matters", f"in pathway {pid}, {k} is met whenever {by} "
                                   "is, so it can never change a decision", "remove it, or note in "
                                   "docs/policy-notes.md why the policy states it", pathway=pid, **where.get(pid, {})))
    for k, c in sorted(kb.criteria.items()):
        if c.form != "any_":
            continue
        for p in c.parts:
            by = next((o for o in c.parts if o != p and _implies(kb.criteria.get(p), kb.criteria.get(o), kb)), None)
            if by:
                st = defs.get(k)
                out.append(Finding("info", "option-never-matters", f"option {p} of {k} is met only when option {by} "
                                   "is, so it can never change whether the any_ set holds", "remove the option, or "
                                   "note in docs/policy-notes.md why the policy lists it", st.file if st else None,
                                   st.line if st else None))
    return out


def _stems(kb, where) -> list[Finding]:
    """What a pathway's text states but its criteria do not: an exclusion that every other option of the same
    numbered criterion has (the stem's note applies to all its options), and a criterion whose own policy words
    (criterion_text) the pathway quotes but does not link."""
    from .policy import normalize
    out = []
    siblings: dict[tuple, list[str]] = {}
    for pid, p in kb.pathways.items():
        siblings.setdefault((p.section, p.number), []).append(pid)
    for group in siblings.values():
        if len(group) < 2:
            continue
        excl = {pid: {k for k, d in requirements(kb, pid) if d == "exclusion"} for pid in group}
        for k in set().union(*excl.values()):
            lacking = sorted(pid for pid in group if k not in excl[pid])
            if len(lacking) == 1 and len(group) - len(lacking) >= 1 and len(group) >= 2:
                pid = lacking[0]
                out.append(Finding("warning", "option-lacks-exclusion", f"pathway {pid} lacks the exclusion {k} "
                                   f"that the other options of criterion {kb.pathways[pid].number} "
                                   f"({', '.join(sorted(set(group) - {pid}))}) have", f"add + exclusion('{pid}', "
                                   f"'{k}'), or note in docs/policy-notes.md why this option differs",
                                   pathway=pid, **where.get(pid, {})))
    exclusions = {k for (_, k), d in kb.links.items() if d == "exclusion"}
    texts = {k: normalize(c.text) for k, c in kb.criteria.items()
             if k in exclusions and c.text and len(normalize(c.text).split()) >= 3}
    for pid, p in sorted(kb.pathways.items()):
        linked = {k for k, _ in requirements(kb, pid)}
        reach = set(linked)
        todo = list(linked)
        while todo:
            c = kb.criteria.get(todo.pop())
            for part in (c.parts if c else ()):
                if part not in reach:
                    reach.add(part)
                    todo.append(part)
        quoted = normalize(p.text)
        for k, words in sorted(texts.items()):
            own = "." not in k or k.split(".", 1)[0] == p.section
            if own and k not in reach and f" {words} " in f" {quoted} " and not _covered(kb, k, reach):
                out.append(Finding("warning", "text-without-criterion", f"pathway {pid} quotes {kb.criteria[k].text!r}"
                                   f", the words of criterion {k}, but does not require or exclude it",
                                   f"link {k} to {pid}, or note in docs/policy-notes.md why the words add no "
                                   "criterion", pathway=pid, **where.get(pid, {})))
    return out


def _hierarchy(kb) -> list[Finding]:
    """A term that lost its place in the term hierarchy (is_a): a term whose name extends another term of its field
    ('IVB' of 'IV', 'multiple_lung_nodules' of 'lung_nodules') but is not a kind of it; and, in a field whose terms
    nearly all descend from one root, a term that is a kind of nothing."""
    parents: dict[str, set] = {}
    for child, parent in kb.vocabulary.is_a:
        parents.setdefault(child, set()).add(parent)
    where = {}
    for st in kb.statements:
        if not hasattr(st, "body") and st.atom.key in ("term/3", "therapy/2"):
            where.setdefault(st.values[1] if st.atom.key == "term/3" else st.values[0], st)
    out = []
    seen = set()
    for f in sorted(kb.vocabulary.fields.values(), key=lambda f: f.name):
        terms = set(f.term_names())
        if not any(t in parents for t in terms):
            continue
        for x in sorted(terms):
            for y in sorted(terms):
                named = x != y and (x.endswith("_" + y) or x.startswith(y + "_")
                                    or (x.startswith(y) and len(x) == len(y) + 1 and x[-1] in "ABCDEFGH"))
                if named and not _kind_of_any(kb, x, (y,)) and (x, y) not in seen:
                    seen.add((x, y))
                    st = where.get(x)
                    out.append(Finding("warning", "term-not-kind", f"term {x!r} of {f.name} names {y!r} but is not "
                                       "a kind of it (no is_a), so a criterion on it does not count it",
                                       f"add + is_a('{x}', '{y}'), or rename the term", st.file if st else None,
                                       st.line if st else None))
        roots: dict[str, set] = {}
        for t in terms:
            top = {t}
            while any(parents.get(u) for u in top):
                top = {p for u in top for p in (parents.get(u) or {u})}
            for r in top:
                roots.setdefault(r, set()).add(t)
        main = max(roots.values(), key=len)
        if len(main) >= 0.8 * len(terms) and len(terms) >= 5:
            root = next(r for r, ts in roots.items() if ts is main)
            for r, ts in sorted(roots.items()):
                if r != root and r not in parents and (r, root) not in seen:
                    seen.add((r, root))
                    st = where.get(r)
                    out.append(Finding("warning", "term-without-kind", f"term {r!r} of {f.name} is a kind of "
                                       f"nothing, while {len(main)} of its {len(terms)} terms are kinds of {root!r}",
                                       f"add its + is_a('{r}', ...) link", st.file if st else None,
                                       st.line if st else None))
    return out


def _covered(kb, k: str, reach: set) -> bool:
    """Whether a criterion the pathway reaches means the same as k (k implies it and back)."""
    ck = kb.criteria.get(k)
    return any(_implies(ck, kb.criteria.get(o), kb) and _implies(kb.criteria.get(o), ck, kb) for o in reach)


def _thresholds(kb) -> list[Finding]:
    """The same written number read with different strictness (>= 18 in one section, > 18 in another)."""
    pairs = {("at_least", "more_than"): "admits", ("at_most", "less_than"): "admits"}
    by_bound: dict[tuple, dict] = {}
    for c in kb.criteria.values():
        for (incl, excl), _ in pairs.items():
            if c.form in (incl, excl):
                by_bound.setdefault((c.field, c.values[0], incl), {}).setdefault(c.form == incl, []).append(c.id)
    out = []
    for (field, bound, _), sides in sorted(by_bound.items()):
        if True in sides and False in sides:
            inc, exc = sorted(sides[True])[0], sorted(sides[False])[0]
            out.append(Finding("warning", "threshold-disagreement",
                               f"{field}: {inc} includes {bound} but {exc} excludes it, so a patient with {field} = "
                               f"{bound} is covered in {', '.join(_sections(kb, inc))} and not in "
                               f"{', '.join(_sections(kb, exc))}",
                               "use one threshold, or note in docs/policy-notes.md that the policy words them "
                               "differently"))
    return out


def _sections(kb, k: str) -> list[str]:
    parents: dict[str, set] = {}
    for c in kb.criteria.values():
        for part in c.parts:
            parents.setdefault(part, set()).add(c.id)
    ids, frontier = {k}, [k]
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent not in ids:
                ids.add(parent)
                frontier.append(parent)
    return sorted({kb.pathways[p].section for (p, kk) in kb.links if kk in ids})


def _codes(kb) -> list[Finding]:
    mapped = kb.engine.ask("code_section", None, None)
    codes = {c for c, _ in mapped}
    coded_sections = {s for _, s in mapped}
    listed = {c for c, _, _ in kb.engine.ask("code", None, None, None)}
    drugs = {c for (c,) in kb.engine.ask("drug_code", None)}
    sections = {p.section for p in kb.pathways.values()} - {s for (s,) in kb.engine.ask("general_section", None)}
    facts = {(st.atom.key, st.values[0]): st for st in kb.statements
             if not hasattr(st, "body") and st.atom.key in ("section/4", "code/3")}

    def at(key, value) -> dict:
        st = facts.get((key, value))
        return {"file": st.file, "line": st.line} if st else {}
    out = []
    for s in sorted(sections - coded_sections):
        out.append(Finding("warning", "section-without-code", f"section {s} has no code in the policy's code table",
                           "add the section's ICD-10 code to kb/codes.dl, or note the gap in docs/policy-notes.md",
                           **at("section/4", s)))
    for c in sorted(listed - codes - drugs):
        out.append(Finding("warning", "code-without-section", f"code {c} is mapped to no section",
                           "add code_section(...) in kb/codes.dl", **at("code/3", c)))
    return out


def always_met(kb) -> list[Finding]:
    """Criteria that every valid value of their field meets (logic.dl's always/1): met without the field. Each is
    reported at the fact that defines it."""
    defs = _definitions(kb)
    return [Finding("info", "always-met", f"criterion {k} ({kb.criteria[k].label if k in kb.criteria else k}) is met "
                    "by every valid value of its field, so it is met without that field and never holds up a case",
                    "none needed; write the criterion's bound differently if the policy means a real limit",
                    defs[k].file if k in defs else None, defs[k].line if k in defs else None)
            for (k,) in sorted(kb.engine.ask("always", None))]
