"""Nearest-term suggestions: the "did you mean" of an error message."""

from __future__ import annotations

import difflib
from typing import Iterable, Optional


def nearest(word: str, choices: Iterable[str]) -> Optional[str]:
    """The closest valid term to ``word``, for "did you mean" hints."""
    choices = list(choices)
    word = str(word)[:200]  # a hostile megabyte is not worth comparing
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in choices}
    return lowered.get(str(word).lower())
