"""Structural checks of the parsed statements, before the kb is loaded: recursion through negation, cycles of
composite criteria and of derivations, and literals that name a constant no fact or rule can give (so the rule can
never fire).

All three read only the parsed statements (:mod:`laro_kb.knowledge.program`) and run nothing: a kb that fails them
may not even load (a predicate that depends on its own negation has no meaning, and pyDatalog may recurse without
end on it), so ``laro-kb check`` reports them and stops before loading it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from ..engine.materialize import PATIENT_PREDICATES
from ..knowledge.program import Atom, Const, Fact, Rule, Var, strongly_connected as components
from .findings import Finding

COMPOSITES = ("any_/2", "all_/2", "not_/2")
DERIVATIONS = ("implied/2", "ruled_out/2", "unless/2")  # a criterion's derivation reads its source and blockers
ANY = None  # a position that can take any value (a patient's value, or one not bounded by facts)


def structure_findings(statements: list) -> list[Finding]:
    return _negation_cycles(statements) + _criterion_cycles(statements) + _dead_literals(statements)


def _rules(statements) -> list[Rule]:
    return [st for st in statements if isinstance(st, Rule)]


def _negation_cycles(statements) -> list[Finding]:
    """A predicate that depends on its own negation, unless the recursion descends a relation the kb defines below
    it (``holds(C, K)`` through ``~fails(C, S)`` for a part ``S`` of ``K``: stratified criterion by criterion)."""
    rules = _rules(statements)
    graph: dict[str, set[str]] = {}
    for r in rules:
        graph.setdefault(r.head.key, set()).update(b.key for b in r.body if isinstance(b, Atom))
    out = []
    for comp in components(graph):
        members = set(comp)
        edges = [(r, b) for r in rules if r.head.key in members for b in r.body
                 if isinstance(b, Atom) and b.key in members]
        negative = [(r, b) for r, b in edges if b.negated]
        if not negative or _descends(comp, edges, members):
            continue
        first = min((r for r, _ in negative), key=lambda r: (r.file, r.line))
        where = ", ".join(sorted({f"{Path(r.file).name}:{r.line}" for r, _ in edges}))
        out.append(Finding("error", "negation-cycle",
                           f"{', '.join(comp)} depend{'s' if len(comp) == 1 else ''} on {'its' if len(comp) == 1 else 'their'} "
                           f"own negation ({'; '.join(sorted({str(b) for _, b in negative}))}), through the rules at "
                           f"{where}: such a rule has no meaning, and the engines cannot evaluate it",
                           "a rule may not depend on the negation of its own head, directly or through other rules; "
                           "compute the negated predicate from rules that do not read the head (stratify)",
                           file=first.file, line=first.line))
    return out


def _descends(comp: list[str], edges, members: set[str]) -> bool:
    """Whether some choice of a key argument per predicate makes every recursive call keep the key or go down a
    binary relation defined outside the component, and the calls that keep the key have no cycle."""
    arities = [int(k.rsplit("/", 1)[1]) for k in comp]
    for combo in itertools.product(*(range(a) for a in arities)):
        keys = dict(zip(comp, combo))
        same: dict[str, set[str]] = {k: set() for k in comp}
        ok = True
        for rule, lit in edges:
            if keys[rule.head.key] >= len(rule.head.args) or keys[lit.key] >= len(lit.args):
                ok = False
                break
            hv, bv = rule.head.args[keys[rule.head.key]], lit.args[keys[lit.key]]
            if not (isinstance(hv, Var) and isinstance(bv, Var)):
                ok = False
                break
            if hv == bv:
                same[rule.head.key].add(lit.key)
                continue
            if not any(isinstance(b, Atom) and not b.negated and b.key not in members and len(b.args) == 2
                       and b.args in ((hv, bv), (bv, hv)) for b in rule.body):
                ok = False
                break
        if ok and not any(len(c) > 1 or c[0] in same[c[0]] for c in components(same)):
            return True
    return False


def _criterion_cycles(statements) -> list[Finding]:
    """A composite criterion that is, through its parts, a part of itself, or a criterion derived from itself
    (through the sources and blockers of derivations, and parts): it has no bottom to evaluate from."""
    parts: dict[str, list[Fact]] = {}
    for st in statements:
        if isinstance(st, Fact) and st.atom.key in COMPOSITES + DERIVATIONS and len(st.values) == 2:
            parts.setdefault(str(st.values[0]), []).append(st)
    graph = {k: {str(f.values[1]) for f in fs} for k, fs in parts.items()}
    out = []
    for comp in components(graph):
        members = set(comp)
        if len(comp) == 1 and comp[0] not in graph.get(comp[0], ()):
            continue
        facts = sorted((f for k in comp for f in parts.get(k, ()) if str(f.values[1]) in members),
                       key=lambda f: (f.file, f.line))
        through_not = [f for f in facts if f.atom.pred == "not_"]
        where = ", ".join(f"{Path(f.file).name}:{f.line} + {f.atom}" for f in facts)
        if any(f.atom.key in DERIVATIONS for f in facts):
            out.append(Finding("error", "derivation-cycle",
                               f"criteria {', '.join(comp)} are derived from themselves: {where}",
                               "a derivation's source (and what blocks it) must be other criteria than the one it "
                               "settles, and not settled from it; remove the derivation that leads back",
                               file=facts[0].file, line=facts[0].line))
            continue
        out.append(Finding("error", "criterion-cycle",
                           f"criteria {', '.join(comp)} are parts of themselves"
                           + (" through not_ (a criterion that negates itself)" if through_not else "")
                           + f": {where}", "a composite criterion's parts must be other, simpler criteria; remove "
                           "the part that leads back", file=facts[0].file, line=facts[0].line))
    return out


def _dead_literals(statements) -> list[Finding]:
    """A constant in a rule's literal that no fact or rule head can put at that position: a misspelt term, field or
    verdict in a rule. The positive literal can never hold (the rule never fires); the negated one always holds."""
    possible = possible_values(statements)
    out = []
    for r in _rules(statements):
        for lit in r.body:
            if not isinstance(lit, Atom):
                continue
            for i, arg in enumerate(lit.args):
                values = possible.get((lit.key, i), ANY)
                if not isinstance(arg, Const) or values is ANY or arg.value in values:
                    continue
                near = _nearest(arg.value, values)
                out.append(Finding("error" if not lit.negated else "warning", "dead-literal",
                                   f"{lit} names {arg.value!r}, which no fact or rule gives {lit.pred} as argument "
                                   f"{i + 1}, so {'the rule ' + str(r.head) + ' can never fire' if not lit.negated else 'the negation always holds'}",
                                   f"did you mean {near!r}?" if near is not None else
                                   "use a value that a fact or rule defines, or define it", file=r.file, line=r.line))
    return out


def _nearest(value, values):
    import difflib
    if not isinstance(value, str):
        return None
    match = difflib.get_close_matches(value, sorted(v for v in values if isinstance(v, str)), n=1, cutoff=0.6)
    return match[0] if match else None


def possible_values(statements) -> dict[tuple[str, int], object]:
    """For each (predicate, position), the set of constants a fact or rule can put there, or ANY (a fixpoint)."""
    possible: dict[tuple[str, int], object] = {}
    for st in statements:
        if isinstance(st, Fact):
            for i, v in enumerate(st.values):
                cur = possible.setdefault((st.atom.key, i), set())
                if cur is not ANY:
                    cur.add(v)
    fields = possible.get(("field/3", 0), set())
    patient = {("val/3", 1): fields, ("known/2", 1): fields}
    for key in PATIENT_PREDICATES:
        for i in range(int(key.rsplit("/", 1)[1])):
            possible[(key, i)] = set(patient[(key, i)]) if (key, i) in patient and fields is not ANY else ANY
    rules = _rules(statements)
    for r in rules:  # rule heads start empty, unless a fact defines the predicate too
        for i in range(len(r.head.args)):
            possible.setdefault((r.head.key, i), set())
    changed = True
    while changed:
        changed = False
        for r in rules:
            for i, arg in enumerate(r.head.args):
                cur = possible[(r.head.key, i)]
                if cur is ANY:
                    continue
                if isinstance(arg, Const):
                    new = {arg.value}
                else:
                    new = _values_of(arg, r, possible)
                if new is ANY:
                    possible[(r.head.key, i)] = ANY
                    changed = True
                elif not new <= cur:
                    cur |= new
                    changed = True
    return possible


def _values_of(var: Var, rule: Rule, possible) -> object:
    """The values ``var`` can take in ``rule``: the intersection over the positive literals that bind it."""
    found = None
    for lit in rule.body:
        if not isinstance(lit, Atom) or lit.negated:
            continue
        for i, arg in enumerate(lit.args):
            if arg == var:
                values = possible.get((lit.key, i), ANY)
                if values is ANY:
                    continue
                found = set(values) if found is None else found & values
    return ANY if found is None else found


__all__ = ["structure_findings", "components", "possible_values"]
