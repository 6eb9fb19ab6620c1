"""Re-verifying explanations against the kb and the engine.

Every node of every proof in an :class:`~laro_kb.explain.explanation.Explanation` is checked:

- a ``case`` leaf is one of the case's facts, and a ``fact`` leaf is a fact of the kb;
- a ``rule`` node is an instance of a rule loaded from kb/: the rule's head under the node's bindings is the
  node's goal, and its body under the bindings is, in order, the goals of the node's children;
- a ``compare`` leaf compares as it says;
- a ``not`` leaf has no answer *in the engine* (pyDatalog itself, with the case's facts asserted), so the
  tracer's failures are checked by the engine, not by the tracer again.

It also checks that the tracer's verdict on each pathway, and its decision, are those that the deciding engine gives
(:meth:`~laro_kb.knowledgebase.KnowledgeBase.decide`, with the kb's ``sql`` or ``pydatalog`` engine), so that an
explanation never shows another decision than the one made. :func:`verify` returns a list of problems: empty means
the explanation re-verified.
"""

from __future__ import annotations

from ..knowledge.program import Atom, Comparison, Const
from .explanation import CID, Explanation
from .trace import TraceNode, _compare, _k, fact_key


def verify(kb, explanation: Explanation) -> list[str]:
    case = explanation.case
    facts = case.facts(CID, kb.vocabulary)
    case_keys = {fact_key(f[0], f[1:]) for f in facts}
    kb_keys = kb.program.fact_keys
    problems: list[str] = []
    # the decision of the engine that decides (sql or pydatalog): an explanation must show that one
    problems.extend(disagreements(kb.decide(case), explanation, kb.engine_name))
    handles = kb.engine.assert_facts(facts)  # a 'not' leaf is checked by pyDatalog itself, with the case's facts
    try:
        seen: set = set()
        for p in explanation.pathways:
            for node in _proofs(p):
                _check(kb, node, case_keys, kb_keys, problems, seen, p.id)
    finally:
        kb.engine.retract(handles)
    return problems


def disagreements(decision, explanation: Explanation, engine: str) -> list[str]:
    """Where the traced explanation shows another decision, or another verdict on a pathway, than ``decision``."""
    verdicts = {p.id: p.verdict for p in decision.pathways}
    out = [f"{p.id}: tracer says {p.verdict}, {engine} engine says {verdicts[p.id]}"
           for p in explanation.pathways if p.id in verdicts and verdicts[p.id] != p.verdict]
    if decision.outcome != explanation.outcome:
        out.append(f"decision: tracer says {explanation.outcome}, {engine} engine says {decision.outcome}")
    sources = {(p.id, c.criterion): c.derived_from for p in decision.pathways for c in p.criteria}
    for p in explanation.pathways:  # a criterion met by derivation in the decision is met by one in the trace
        for c in p.criteria:
            decided = sources.get((p.id, c.criterion))
            if decided is None:
                continue
            traced = c.derived.source.criterion if c.derived is not None else None
            if (traced is None) != (not decided) or (traced is not None and traced not in decided):
                out.append(f"{p.id} {c.criterion}: tracer says it was settled "
                           f"{'by derivation from ' + traced if traced else 'by its own fields'}, {engine} engine "
                           f"says {'by derivation from ' + ', '.join(decided) if decided else 'by its own fields'}")
    return out


def _proofs(p):
    yield p.proof
    stack = list(p.criteria)
    while stack:
        c = stack.pop()
        if c.proof is not None:
            yield c.proof
        stack.extend(c.parts)


def _check(kb, node: TraceNode, case_keys, kb_keys, problems, seen, where) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))  # (nodes are shared between proofs: the tracer memoises each goal)
    goal = node.goal
    values = tuple(a.value for a in goal.args)
    if node.kind == "case":
        if fact_key(goal.pred, values) not in case_keys:
            problems.append(f"{where}: {goal} is not a fact of the case")
    elif node.kind == "fact":
        if fact_key(goal.pred, values) not in kb_keys:
            problems.append(f"{where}: {goal} is not a fact of the kb")
    elif node.kind == "compare":
        c = node.comparison
        if not _compare(c.left.value, c.op, c.right.value):
            problems.append(f"{where}: comparison {c} does not hold")
    elif node.kind == "not":
        key = ("not", fact_key(goal.pred, values))
        if key in seen:
            return
        seen.add(key)
        if kb.engine.ask(goal.pred, *values):
            problems.append(f"{where}: the engine proves {goal}, which the trace says has no proof")
    elif node.kind == "rule":
        _check_rule(kb, node, problems, where)
        for child in node.children:
            _check(kb, child, case_keys, kb_keys, problems, seen, where)
    else:
        problems.append(f"{where}: unknown node kind {node.kind}")


def _check_rule(kb, node: TraceNode, problems, where) -> None:
    rule = node.rule
    if rule is None or rule not in kb.program.rules.get(rule.head.key, []):
        problems.append(f"{where}: {node.goal} cites a rule that is not in the kb")
        return
    env = dict(node.bindings)
    if _ground(rule.head, env) != _goal_key(node.goal):
        problems.append(f"{where}: rule {rule.id} does not derive {node.goal} under {env}")
        return
    if len(rule.body) != len(node.children):
        problems.append(f"{where}: rule {rule.id} has {len(rule.body)} body literals, the trace {len(node.children)}")
        return
    for lit, child in zip(rule.body, node.children):
        if isinstance(lit, Comparison):
            want = (lit.op, _k(_val(lit.left, env)), _k(_val(lit.right, env)))
            got = (child.comparison.op, _k(child.comparison.left.value), _k(child.comparison.right.value)) \
                if child.comparison else None
            if child.kind != "compare" or want != got:
                problems.append(f"{where}: rule {rule.id}: {child} is not the instance of {lit}")
        else:
            if (child.kind == "not") != lit.negated or _ground(lit, env) != _goal_key(child.goal):
                problems.append(f"{where}: rule {rule.id}: {child} is not the instance of {lit}")


def _val(term, env):
    return term.value if isinstance(term, Const) else env.get(term.name)


def _ground(atom: Atom, env: dict) -> tuple:
    return fact_key(atom.pred, (_val(a, env) for a in atom.args))


def _goal_key(goal: Atom) -> tuple:
    return fact_key(goal.pred, (a.value for a in goal.args))


__all__ = ["verify"]
