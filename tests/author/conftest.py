"""Fixtures of the author tools' tests."""

from __future__ import annotations

import pytest

from laro_kb.author.check import run_check
from laro_kb.author.reference import WitnessReference

from ..conftest import KB_DIR


@pytest.fixture(scope="session")
def witness_reference(kb):
    """The shipped kb's witness searches, lent to the check of edited copies (laro_kb.author.reference)."""
    return WitnessReference(kb)


@pytest.fixture(scope="session")
def shipped_check():
    """laro-kb check of the shipped kb, run once (searching every witness itself): test_check.py holds it to the
    shipped kb's findings, and test_mutants.py reports only what a mutant adds to them."""
    return run_check(KB_DIR)
