"""Every decision test in tests/cases/*.yaml, named by its sentence (see laro_kb.author.testing.cases), and every
pathway approved by one test and missed by another."""

from __future__ import annotations

import pytest

from laro_kb.author.testing.cases import load_tests

from .conftest import CASES

ALL = [t for path in sorted(CASES.glob("*.yaml")) for t in load_tests(path)]


@pytest.mark.parametrize("test", ALL, ids=[f"{t.file.rsplit('/', 1)[-1]}:{t.name}" for t in ALL])
def test_case(outcome_of, test):
    outcome = outcome_of(test)
    assert outcome.passed, "\n".join(outcome.problems)


def test_every_pathway_has_an_approving_and_a_non_approving_test(kb, outcome_of):
    approving, missed = set(), set()
    for t in ALL:
        d = outcome_of(t).decision
        approving |= {p.id for p in d.approved}
        missed |= {p.id for p in d.pathways if p.verdict != "approved"}
    assert sorted(set(kb.pathways) - approving) == [], "pathways no test approves"
    assert sorted(set(kb.pathways) - missed) == [], "pathways no test misses"
