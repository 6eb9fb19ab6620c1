"""Every decision test in tests/cases/*.yaml, named by its sentence (see laro_kb.casetests)."""

from __future__ import annotations

import pytest

from laro_kb.casetests import load_tests, run_test

from .conftest import CASES

ALL = [t for path in sorted(CASES.glob("*.yaml")) for t in load_tests(path)]


@pytest.mark.parametrize("test", ALL, ids=[f"{t.file.rsplit('/', 1)[-1]}:{t.name}" for t in ALL])
def test_case(kb, test):
    outcome = run_test(kb, test)
    assert outcome.passed, "\n".join(outcome.problems)
