"""laro_kb.engine.materialize: the patient-independent predicates are derived once, at load time, and their rules
replaced by the rows they derived. It changes no answer: pyDatalog decides every example the same with and without
it, and what it materializes is exactly what reads no patient fact."""

from __future__ import annotations

import pytest

from laro_kb.engine.materialize import PATIENT_PREDICATES, static_predicates
from laro_kb.knowledge.program import Rule
from laro_kb.knowledgebase import KnowledgeBase

from ..conftest import EXAMPLES, KB_DIR

EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.is_file())


@pytest.fixture(scope="module")
def unmaterialized():
    """pyDatalog over logic.dl's generic rules with nothing derived ahead: the kb as written."""
    return KnowledgeBase(KB_DIR, engine="pydatalog", materialized=False, compiled=False, cache=False)


@pytest.fixture(scope="module")
def materialized():
    return KnowledgeBase(KB_DIR, engine="pydatalog", compiled=False, cache=False)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_each_example_decides_the_same_with_and_without_materialization(materialized, unmaterialized, path):
    a, b = materialized.decide(path), unmaterialized.decide(path)
    assert (a.outcome, a.pathways, a.authorization_months, a.asks) == \
        (b.outcome, b.pathways, b.authorization_months, b.asks)


def test_what_is_materialized_reads_no_patient_fact_and_everything_else_does(materialized):
    statements = materialized.statements
    static = static_predicates(statements)
    rules = {}
    for st in statements:
        if isinstance(st, Rule):
            rules.setdefault(st.head.key, []).append(st)
    assert {"kind_of/2", "requires/2", "depends_on/2"} <= static  # the therapy hierarchy, pathway links, fields
    assert not static & {"holds/2", "fails/2", "verdict/3", "decision/2"} and not static & PATIENT_PREDICATES
    for key, rs in rules.items():  # static: every rule reads only static predicates or kb facts
        reads = {b.key for r in rs for b in r.body if hasattr(b, "key")}
        if key in static:
            assert not reads & PATIENT_PREDICATES and reads & set(rules) <= static, key
        else:
            assert reads & (PATIENT_PREDICATES | (set(rules) - static)), key
