"""laro_kb.engine.pydatalog: facts and queries go through the term API; engines do not share state."""

from __future__ import annotations

import threading

from laro_kb.engine.pydatalog import Engine
from laro_kb.knowledge.program import parse_text

HOSTILE = "__import__('os').system('touch /tmp/laro-pwned')'); p(X) <= q(X"


def test_a_hostile_string_is_stored_and_matched_as_a_plain_constant(tmp_path):
    e = Engine()
    e.add(parse_text("seen(C, V) <= val(C, 'f', V)"))
    handles = e.assert_facts([("val", "c1", "f", HOSTILE)])
    assert e.ask("seen", "c1", None) == [("c1", HOSTILE)]
    e.retract(handles)
    assert e.ask("seen", "c1", None) == []


def test_two_engines_keep_their_own_facts():
    a, b = Engine(), Engine()
    a.add(parse_text("+ p('a')"))
    b.add(parse_text("+ p('b')"))
    assert a.ask("p", None) == [("a",)]
    assert b.ask("p", None) == [("b",)]


def test_an_engine_answers_from_another_thread():
    e = Engine()
    e.add(parse_text("+ p('a')\nq(X) <= p(X)"))
    got = []
    t = threading.Thread(target=lambda: got.append(e.ask("q", None)))
    t.start()
    t.join()
    assert got == [[("a",)]]


def test_a_predicate_the_kb_never_mentions_has_no_answers():
    e = Engine()
    assert e.ask("nothing_here", None) == []


def test_floats_are_compared_exactly():
    e = Engine()
    e.add(parse_text("ok(X) <= v(X) & (X >= 30)"))
    e.assert_facts([("v", 29.9999999)])
    assert e.ask("ok", None) == []
