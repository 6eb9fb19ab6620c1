"""laro_kb.explain.selfcheck: every explanation of every test case re-verifies, and a forged proof does not."""

from __future__ import annotations

import dataclasses

import pytest

from laro_kb.author.testing.cases import load_tests
from laro_kb.explain.selfcheck import verify
from laro_kb.knowledge.program import Const

from ..conftest import CASES, EXAMPLES

ALL = [t for path in sorted(CASES.glob("*.yaml")) for t in load_tests(path)]


@pytest.mark.parametrize("test", ALL, ids=[f"{t.file.rsplit('/', 1)[-1]}:{t.index}" for t in ALL])
def test_the_explanation_of_each_case_reverifies_and_agrees_with_the_engine(kb, test):
    case = kb.parse_case(test.case, file=test.file, record=test.name)
    explanation = kb.explain(case, changes=False)
    assert verify(kb, explanation) == []
    assert explanation.outcome == test.expect["decision"]


def _forge(node, pred, new_value):
    """A copy of the proof with the first case fact of ``pred`` given another value."""
    if node.kind == "case" and node.goal.pred == pred:
        args = node.goal.args[:-1] + (Const(new_value),)
        return dataclasses.replace(node, goal=dataclasses.replace(node.goal, args=args)), True
    done = False
    children = []
    for child in node.children:
        if not done:
            child, done = _forge(child, pred, new_value)
        children.append(child)
    return dataclasses.replace(node, children=tuple(children)), done


def test_a_forged_leaf_or_a_wrong_verdict_is_caught(kb):
    e = kb.explain(kb.read_case(EXAMPLES / "nsclc-first-line.json"), ["nsclc.3a"], changes=False)
    p = e.pathways[0]
    forged_proof, done = _forge(p.proof, "val", 99)
    assert done
    forged = dataclasses.replace(e, pathways=(dataclasses.replace(p, proof=forged_proof),))
    problems = verify(kb, forged)
    assert any("is not a fact of the case" in x for x in problems)
    wrong = dataclasses.replace(e, pathways=(dataclasses.replace(p, verdict="denied"),))
    assert any("engine says approved" in x for x in verify(kb, wrong))


def test_a_decision_that_claims_another_derivation_than_the_trace_is_a_disagreement(kb):
    """The decision's "met by derivation from S" is held to the trace's proof, both ways."""
    import dataclasses

    from laro_kb.explain.selfcheck import disagreements
    from ..conftest import EXAMPLES

    case = kb.read_case(EXAMPLES / "biliary-first-line.yaml")
    decision, explanation = kb.decide(case), kb.explain(case, changes=False)
    assert disagreements(decision, explanation, "sql") == []

    def recast(sources):  # the decision with biliary.4's primary treatment settled from ``sources``
        results = tuple(dataclasses.replace(p, criteria=tuple(
            dataclasses.replace(c, derived_from=sources) if c.criterion == "biliary.primary_treatment" else c
            for c in p.criteria)) if p.id == "biliary.4" else p for p in decision.pathways)
        return dataclasses.replace(decision, pathways=results)

    assert disagreements(recast(()), explanation, "sql") == [
        "biliary.4 biliary.primary_treatment: tracer says it was settled by derivation from "
        "biliary.first_line_advanced, sql engine says by its own fields"]
    assert disagreements(recast(("line.first",)), explanation, "sql") == [
        "biliary.4 biliary.primary_treatment: tracer says it was settled by derivation from "
        "biliary.first_line_advanced, sql engine says by derivation from line.first"]
