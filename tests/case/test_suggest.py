"""laro_kb.case.suggest: a "did you mean" for a term never crosses meaning."""

from __future__ import annotations

import pytest

from laro_kb.case.suggest import nearest_term, negated


@pytest.mark.parametrize("word, terms", [
    ("MSS", ["pmmr_mss", "dmmr_msi_h"]),  # was dmmr_msi_h: the opposite
    ("monotherapy", ["single_agent", "combination"]),  # was combination
    ("detected", ["positive", "negative"]),  # was negative
    ("continuation", ["initial", "renewal"]),  # was initial
    ("nonmutant", ["mutant", "wildtype"]),  # close in letters, opposite in meaning
    ("not positive", ["positive", "negative"]),
    ("stage 3", ["I", "II", "III", "IV"]),
])
def test_no_term_is_suggested_for_a_word_that_is_not_a_slip_of_typing(word, terms):
    assert nearest_term(word, terms) is None


@pytest.mark.parametrize("word, terms, term", [
    ("postive", ["positive", "negative"], "positive"),
    ("negatve", ["positive", "negative"], "negative"),
    ("single_agnet", ["single_agent", "combination"], "single_agent"),
    ("renewl", ["initial", "renewal"], "renewal"),
])
def test_a_slip_of_typing_suggests_the_term(word, terms, term):
    assert nearest_term(word, terms) == term


def test_an_equally_close_pair_is_ambiguous():
    assert nearest_term("stage_x", ["stage_a", "stage_b"]) is None


@pytest.mark.parametrize("word, says_no", [("not detected", True), ("non-mutant", True), ("neg", True),
                                           ("unresectable", True), ("negative", False), ("detected", False),
                                           ("initial", False)])
def test_negation_is_read_from_the_word(word, says_no):
    assert negated(word) is says_no
