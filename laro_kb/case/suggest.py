"""Nearest-term suggestions: the "did you mean" of an error message.

Two kinds. :func:`nearest` finds the closest name (a field, a pathway id, a command): a slip of typing costs nothing
there. :func:`nearest_term` finds the term a case value was meant to be, and is strict, because a wrong term changes
the decision: it suggests only a close and unambiguous match, and never one that crosses a negation (``not
detected`` is never ``detected``; ``nonmutant`` is never ``mutant``). When it has nothing to suggest, the error lists
the valid terms instead.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable, Optional

CLOSE = 0.8  # the least similarity (difflib's ratio) of a suggested term: a slip of typing, not another word
MARGIN = 0.1  # how much closer than the next term a suggested term must be: unambiguous
NEGATIONS = re.compile(r"(^|[\s_\-/])(not?|non|without|never|absent|neg|un)([\s_\-/]|$)|^(non|un)", re.IGNORECASE)


def nearest(word: str, choices: Iterable[str]) -> Optional[str]:
    """The closest valid name to ``word``, for "did you mean" hints."""
    choices = list(choices)
    word = str(word)[:200]  # a hostile megabyte is not worth comparing
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in choices}
    return lowered.get(str(word).lower())


def nearest_term(word: str, terms: Iterable[str]) -> Optional[str]:
    """The term ``word`` was surely meant to be, or None: the match must be close, clearly closer than any other
    term, and agree with ``word`` on negation."""
    key = _key(word)
    scored = sorted(((difflib.SequenceMatcher(None, key, _key(t)).ratio(), t) for t in set(terms)), reverse=True)
    if not scored:
        return None
    best, term = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best < CLOSE or best - runner_up < MARGIN or negated(key) != negated(_key(term)):
        return None
    return term


def negated(word: str) -> bool:
    """Whether a word says no: ``not detected``, ``non-mutant``, ``unmethylated``, ``neg``."""
    return bool(NEGATIONS.search(word))


def _key(word) -> str:
    return re.sub(r"[\s_\-]+", " ", str(word)[:200].strip().lower())
