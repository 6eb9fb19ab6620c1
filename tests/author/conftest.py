"""Fixtures of the author tools' tests."""

from __future__ import annotations

import pytest

from laro_kb.author.reference import WitnessReference


@pytest.fixture(scope="session")
def witness_reference(kb):
    """The shipped kb's witness searches, lent to the check of edited copies (laro_kb.author.reference)."""
    return WitnessReference(kb)
