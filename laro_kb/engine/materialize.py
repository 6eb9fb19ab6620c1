"""Materializing the patient-independent part of the program, once, at load time.

pyDatalog's tables last for one query, so a rule-defined predicate that does not depend on the patient (the therapy
hierarchy ``kind_of``, the criteria a pathway ``requires``, the section criteria built by rules) would be derived
again inside every decision, at several hundred microseconds a subgoal. This module finds those predicates by
dependency analysis of the parsed program, nothing else: a predicate is *dynamic* if a rule for it reads a patient
predicate (``val``, ``known``, ``case``) or another dynamic predicate, and *static* otherwise. The engine computes
each static predicate from the kb's own rules, and its rules are then replaced by the facts they derived. This is
the standard evaluation of the lower strata of a stratified program ahead of time. It changes no answer, and
``tests/engine/test_materialize.py`` checks that by comparing decisions with and without it.
"""

from __future__ import annotations

from ..knowledge.program import Atom, Rule, Statement

PATIENT_PREDICATES = frozenset({"val/3", "known/2", "case/1"})


def static_predicates(statements: list[Statement]) -> set[str]:
    """``name/arity`` of every rule-defined predicate whose rules never reach patient facts."""
    body_of: dict[str, set[str]] = {}
    for st in statements:
        if isinstance(st, Rule):
            body_of.setdefault(st.head.key, set()).update(b.key for b in st.body if isinstance(b, Atom))
    dynamic = set(PATIENT_PREDICATES)
    changed = True
    while changed:
        changed = False
        for head, body in body_of.items():
            if head not in dynamic and body & dynamic:
                dynamic.add(head)
                changed = True
    return set(body_of) - dynamic


def materialize(engine, statements: list[Statement], clauses: list) -> dict[str, list[tuple]]:
    """Replace the rules of static predicates in ``engine`` by the facts they derive; returns those rows by
    predicate (``name/arity``)."""
    static = static_predicates(statements)
    answers = {}
    for key in sorted(static):
        answers[key] = engine.rows(key)
    engine.retract([c for st, c in zip(statements, clauses) if isinstance(st, Rule) and st.head.key in static])
    facts = [(key.rsplit("/", 1)[0],) + tuple(row) for key, rows in answers.items() for row in rows]
    engine.assert_facts(facts)
    return answers


__all__ = ["static_predicates", "materialize", "PATIENT_PREDICATES"]
