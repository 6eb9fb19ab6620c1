"""Every decision test in tests/cases/*.yaml, named by its sentence (see laro_kb.casetests)."""

from __future__ import annotations

import pytest

from laro_kb.casetests import load_tests

from .conftest import CASES

ALL = [t for path in sorted(CASES.glob("*.yaml")) for t in load_tests(path)]


@pytest.mark.parametrize("test", ALL, ids=[f"{t.file.rsplit('/', 1)[-1]}:{t.name}" for t in ALL])
def test_case(outcome_of, test):
    outcome = outcome_of(test)
    assert outcome.passed, "\n".join(outcome.problems)
