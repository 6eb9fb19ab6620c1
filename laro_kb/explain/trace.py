"""Derivation traces: a meta-interpreter over the rules loaded from kb/.

:class:`Tracer` proves a goal such as ``verdict('#c', 'nsclc.3a', V)`` by resolution over the parsed kb
statements (the same :mod:`laro_kb.knowledge.program` values the engine was built from) and the case's facts. It records
the proof as a tree of :class:`TraceNode`: the rule or fact used, its variable bindings and the proofs of its body
literals. A negated literal is a leaf that records that its goal has no proof, and a comparison is a leaf that
records the values it compared. The interpreter knows nothing of criteria, pathways or fields. It only resolves
Datalog, so a change in kb/ changes the traces with no change here.

The program is stratified and its only recursion (``kind_of``) runs over acyclic data. So top-down resolution with
memoised answers terminates. A goal that re-enters itself is cut (and :meth:`Tracer.check` would find the cycle).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Iterator, Optional

from ..knowledge.program import Atom, Comparison, Const, Fact, Rule, Statement, Var

Subst = dict


@dataclass(frozen=True)
class TraceNode:
    """One step of a derivation: a ground goal and how it was shown."""

    goal: Atom  # ground; for a negation node, the goal that has no proof
    kind: str  # 'fact' (kb fact), 'case' (patient fact), 'rule', 'not' (no proof of goal), 'compare'
    rule: Optional[Rule] = None
    bindings: tuple[tuple[str, object], ...] = ()
    children: tuple["TraceNode", ...] = ()
    comparison: Optional[Comparison] = None  # for 'compare': the ground comparison

    def walk(self) -> Iterator["TraceNode"]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def source(self) -> str:
        if self.rule is not None:
            return self.rule.id
        return {"case": "case fact", "fact": "kb fact", "not": "no proof", "compare": "comparison"}[self.kind]

    def __str__(self) -> str:
        if self.kind == "compare":
            return str(self.comparison)
        return ("not " if self.kind == "not" else "") + str(self.goal)


class Program:
    """A kb's statements indexed for resolution: rules by head predicate, facts by predicate and first argument."""

    def __init__(self, statements: list[Statement]):
        from ..engine.materialize import static_predicates
        # answers to goals on patient-independent predicates are the same for every case: shared by all tracers
        self.static = static_predicates(statements) | {st.atom.key for st in statements if isinstance(st, Fact)}
        self.static_memo: dict[tuple, list] = {}
        self.rules: dict[str, list[Rule]] = {}
        self.facts: dict[str, list[tuple]] = {}
        self.first: dict[tuple, list[tuple]] = {}
        for st in statements:
            if isinstance(st, Rule):
                self.rules.setdefault(st.head.key, []).append(st)
            else:
                _add_fact(self.facts, self.first, st.atom.key, st.values, "fact")
        # every kb fact as (pred, key of each value...), for checking a proof's leaves (laro_kb.explain.selfcheck)
        self.fact_keys = frozenset(fact_key(st.atom.pred, st.values) for st in statements if isinstance(st, Fact))


def _add_fact(facts: dict, first: dict, key: str, values: tuple, kind: str) -> None:
    row = (values, kind)
    facts.setdefault(key, []).append(row)
    if values:
        first.setdefault((key, _k(values[0])), []).append(row)


class Tracer:
    """Resolution over a kb's :class:`Program` plus one case's facts (``(pred, arg, ...)`` tuples)."""

    def __init__(self, program: Program, case_facts: list[tuple] = ()):
        self.program = program
        self.rules = program.rules
        self.case_facts: dict[str, list[tuple]] = {}
        self.case_first: dict[tuple, list[tuple]] = {}
        for f in case_facts:
            _add_fact(self.case_facts, self.case_first, f"{f[0]}/{len(f) - 1}", tuple(f[1:]), "case")
        self._memo: dict[tuple, list[tuple[tuple, TraceNode]]] = {}
        self._active: set = set()

    # -- public --------------------------------------------------------
    def prove(self, pred: str, *args) -> list[tuple[tuple, TraceNode]]:
        """Every answer to ``pred(args)`` (``None`` = a variable), each with its first proof."""
        atom = Atom(pred, tuple(Var(f"Q{i}") if a is None else Const(a) for i, a in enumerate(args)))
        return self._solve(atom)

    def proof(self, pred: str, *args) -> Optional[TraceNode]:
        answers = self.prove(pred, *args)
        return answers[0][1] if answers else None

    # -- resolution ----------------------------------------------------
    def _solve(self, atom: Atom) -> list[tuple[tuple, TraceNode]]:
        """Answers (the ground argument tuple) with one proof each, for an atom with constants and variables."""
        pattern = tuple(a.value if isinstance(a, Const) else None for a in atom.args)
        key = (atom.key, tuple(_k(v) if v is not None else None for v in pattern))
        memo = self.program.static_memo if atom.key in self.program.static else self._memo
        if key in memo:
            return memo[key]
        if key in self._active:  # a goal that needs itself: no new answers on this path
            return []
        self._active.add(key)
        answers: dict[tuple, TraceNode] = {}
        try:
            if pattern and pattern[0] is not None:
                first = (atom.key, _k(pattern[0]))
                rows = self.program.first.get(first, []) + self.case_first.get(first, [])
            else:
                rows = self.program.facts.get(atom.key, []) + self.case_facts.get(atom.key, [])
            for values, kind in rows:
                if _matches(pattern, values):
                    k = tuple(_k(v) for v in values)
                    if k not in answers:
                        answers[k] = TraceNode(Atom(atom.pred, tuple(Const(v) for v in values)), kind)
            for rule in self.rules.get(atom.key, []):
                head_env = _unify_head(rule.head, pattern)
                if head_env is None:
                    continue
                for env, children in self._body(rule.body, 0, head_env):
                    values = tuple(_value(t, env) for t in rule.head.args)
                    k = tuple(_k(v) for v in values)
                    if k not in answers:
                        bindings = tuple(sorted(env.items()))
                        answers[k] = TraceNode(Atom(atom.pred, tuple(Const(v) for v in values)), "rule", rule,
                                               bindings, tuple(children))
        finally:
            self._active.discard(key)
        result = [(tuple(node.goal.args[i].value for i in range(len(node.goal.args))), node)
                  for node in answers.values()]
        memo[key] = result
        return result

    def _body(self, body: tuple, i: int, env: Subst) -> Iterator[tuple[Subst, list[TraceNode]]]:
        if i == len(body):
            yield env, []
            return
        lit = body[i]
        if isinstance(lit, Comparison):
            left, right = _value(lit.left, env), _value(lit.right, env)
            if left is _UNBOUND or right is _UNBOUND:
                raise ValueError(f"comparison before its variables are bound: {lit}")
            if _compare(left, lit.op, right):
                node = TraceNode(Atom(lit.op, (Const(left), Const(right))), "compare",
                                 comparison=Comparison(lit.op, Const(left), Const(right)))
                for env2, rest in self._body(body, i + 1, env):
                    yield env2, [node] + rest
            return
        ground = Atom(lit.pred, tuple(Const(_value(a, env)) if _value(a, env) is not _UNBOUND else a
                                      for a in lit.args))
        if lit.negated:
            if any(isinstance(a, Var) for a in ground.args):
                raise ValueError(f"negation before its variables are bound: {lit}")
            if self._solve(ground):
                return
            node = TraceNode(ground, "not")
            for env2, rest in self._body(body, i + 1, env):
                yield env2, [node] + rest
            return
        for values, node in self._solve(ground):
            env2 = _bind(lit.args, values, env)
            if env2 is None:
                continue
            for env3, rest in self._body(body, i + 1, env2):
                yield env3, [node] + rest


_UNBOUND = object()


def _k(v):
    """A key that keeps True apart from 1 (Python equality does not)."""
    return (type(v).__name__ if isinstance(v, bool) else "v", v)


def fact_key(pred: str, values) -> tuple:
    """A ground atom as a set key: its predicate and the key of each value."""
    return (pred,) + tuple(_k(v) for v in values)


def _value(term, env):
    if isinstance(term, Const):
        return term.value
    return env.get(term.name, _UNBOUND)


def _matches(pattern: tuple, values: tuple) -> bool:
    return len(pattern) == len(values) and all(p is None or _k(p) == _k(v) for p, v in zip(pattern, values))


def _unify_head(head: Atom, pattern: tuple) -> Optional[Subst]:
    env: Subst = {}
    for term, want in zip(head.args, pattern):
        if isinstance(term, Const):
            if want is not None and _k(want) != _k(term.value):
                return None
        elif want is not None:
            if term.name in env and _k(env[term.name]) != _k(want):
                return None
            env[term.name] = want
    return env


def _bind(args: tuple, values: tuple, env: Subst) -> Optional[Subst]:
    out = dict(env)
    for term, v in zip(args, values):
        if isinstance(term, Var):
            if term.name in out:
                if _k(out[term.name]) != _k(v):
                    return None
            else:
                out[term.name] = v
        elif _k(term.value) != _k(v):
            return None
    return out


_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq,
        "!=": operator.ne}


def _compare(a, op, b) -> bool:
    try:
        return bool(_OPS[op](a, b))
    except TypeError:
        return False


__all__ = ["Program", "Tracer", "TraceNode"]
