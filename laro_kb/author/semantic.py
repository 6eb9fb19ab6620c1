"""Semantic checks: over the space of patients that the kb's criteria can tell apart.

- every pathway has a witness (a case it approves); a dead pathway is reported with the smallest set of criteria
  that conflict, and a pathway that could only fire when excluded is reported as such;
- a pathway subsumed by another (every patient the first approves, the second approves too) is reported;
- thresholds on one field that disagree across sections (age >= 18 against > 18) are reported;
- sections with no code in the code table, and codes with no section, are reported.
"""

from __future__ import annotations

from ..explain.witness import requirements, witness
from ..knowledge.pathways import Criterion
from .findings import Finding


def semantic_findings(kb) -> list[Finding]:
    where = _pathway_lines(kb)
    out: list[Finding] = always_met(kb)
    witnesses = {}
    for pid in kb.pathways:
        w = witness(kb, pid)
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
    out += _subsumption(kb, witnesses, where)
    out += _thresholds(kb)
    out += _codes(kb)
    return out


def _pathway_lines(kb) -> dict[str, dict]:
    return {st.values[0]: {"file": st.file, "line": st.line} for st in kb.statements
            if not hasattr(st, "body") and st.atom.key == "pathway/4"}


def _subsumption(kb, witnesses, where) -> list[Finding]:
    """A is subsumed by B when each requirement of B is implied by one of A, and B excludes nothing A allows."""
    reqs = {p: requirements(kb, p) for p in kb.pathways}
    out = []
    for a, ra in reqs.items():
        if witnesses[a].case is None:
            continue
        need_a = {k for k, d in ra if d != "exclusion"}
        excl_a = {k for k, d in ra if d == "exclusion"}
        for b, rb in reqs.items():
            if a == b:
                continue
            need_b = {k for k, d in rb if d != "exclusion"}
            excl_b = {k for k, d in rb if d == "exclusion"}
            if not excl_b <= excl_a:
                continue
            if all(any(_implies(kb.criteria.get(x), kb.criteria.get(y), kb) for x in need_a) for y in need_b):
                same = need_a == need_b and excl_a == excl_b
                if same and a > b:
                    continue  # report an identical pair once
                kind = "identical criteria to" if same else "subsumed by"
                out.append(Finding("warning", "duplicate-pathway" if same else "subsumed-pathway",
                                   f"pathway {a} has {kind} {b}: every patient {a} approves, {b} approves too",
                                   "make the pathways differ, or note in docs/policy-notes.md why the overlap is the "
                                   "policy's own", pathway=a, **where.get(a, {})))
    return out


def _implies(x: Criterion, y: Criterion, kb) -> bool:
    """Whether x being met always means y is met (a sound, incomplete test on the criteria's forms)."""
    if x is None or y is None:
        return False
    if x.id == y.id:
        return True
    if x.form == "all_" and any(_implies(kb.criteria.get(p), y, kb) for p in x.parts):
        return True
    if y.form == "any_" and any(_implies(x, kb.criteria.get(p), kb) for p in y.parts):
        return True
    if x.field and x.field == y.field:
        if x.form == y.form == "is_":
            return set(x.values) <= set(y.values)
        lo = {"at_least": 0, "more_than": 1}
        hi = {"at_most": 0, "less_than": -1}
        if x.form in lo and y.form in lo:
            return x.values[0] + lo[x.form] >= y.values[0] + lo[y.form]
        if x.form in hi and y.form in hi:
            return x.values[0] + hi[x.form] <= y.values[0] + hi[y.form]
    return False


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
    out = []
    for s in sorted(sections - coded_sections):
        out.append(Finding("warning", "section-without-code", f"section {s} has no code in the policy's code table",
                           "add the section's ICD-10 code to kb/codes.dl, or note the gap in docs/policy-notes.md"))
    for c in sorted(listed - codes - drugs):
        out.append(Finding("warning", "code-without-section", f"code {c} is mapped to no section",
                           "add code_section(...) in kb/codes.dl"))
    return out


def always_met(kb) -> list[Finding]:
    """Criteria that every valid value of their field meets (logic.dl's always/1): met without the field."""
    return [Finding("info", "always-met", f"criterion {k} ({kb.criteria[k].label if k in kb.criteria else k}) is met "
                    "by every valid value of its field, so it is met without that field and never holds up a case",
                    "none needed; write the criterion's bound differently if the policy means a real limit")
            for (k,) in sorted(kb.engine.ask("always", None))]
