"""laro_kb.knowledge.program: kb source is parsed as Datalog and anything else is refused before it runs."""

from __future__ import annotations

import pytest

from laro_kb.errors import KBError
from laro_kb.knowledge.program import Atom, Comparison, Const, Fact, Rule, Var, parse_text


def test_a_fact_and_a_rule_are_read_with_their_lines():
    st = parse_text("+ p('a', 3, True)\nq(X) <= p(X, N, B) & ~r(X) & (N >= 2)\n", "f.dl")
    assert st[0] == Fact(Atom("p", (Const("a"), Const(3), Const(True))), "f.dl", 1)
    assert isinstance(st[1], Rule) and st[1].line == 2
    assert st[1].head == Atom("q", (Var("X"),))
    assert st[1].body == (Atom("p", (Var("X"), Var("N"), Var("B"))), Atom("r", (Var("X"),), negated=True),
                          Comparison(">=", Var("N"), Const(2)))


def test_negative_numbers_are_constants():
    (fact,) = parse_text("+ p(-3)")
    assert fact.values == (-3,)


@pytest.mark.parametrize("source, message", [
    ("import os", "import statement"),
    ("x = 1", "assign statement"),
    ("print('hi')", "facts"),
    ("+ p(os.system('x'))", "term must be"),
    ("+ p(__import__('os'))", "term must be"),
    ("p(X) <= q(X).y", "expected a literal"),
    ("+ p(X)", "must be ground"),
    ("+ p(lambda: 1)", "term must be"),
    ("+ P('a')", "lower-case"),
    ("p(X) <= q(x)", "neither a variable"),
    ("def f(): pass", "functiondef statement"),
    ("+ p('a'", "not Datalog"),
    ("p(X) <= q(X) & (X in [1])", "comparison must be"),
])
def test_anything_but_datalog_is_refused_with_file_and_line(source, message):
    with pytest.raises(KBError) as info:
        parse_text("+ ok('first line')\n" + source, "kb/bad.dl")
    assert message in str(info.value)
    assert info.value.file == "kb/bad.dl" and info.value.line == 2


def test_a_refused_file_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(KBError):
        parse_text(f"+ p('a')\n__import__('pathlib').Path({str(marker)!r}).touch()\n")
    assert not marker.exists()


@pytest.mark.parametrize("literals, message", [
    (1200, "a rule may have at most 200 literals"),  # parses, but is refused before any engine meets it
    (5000, "nested too deeply for the parser"),  # Python's own parser gives up: that too is a KBError
])
def test_a_rule_of_thousands_of_literals_is_a_kb_error_not_a_recursion_error(literals, message):
    body = " & ".join(f"val(C, 'f{i}', X{i})" for i in range(literals))
    with pytest.raises(KBError, match=message) as info:
        parse_text(f"+ p('a')\nbig(C) <= case(C) & {body}\n", "big.dl")
    assert info.value.file == "big.dl"


def test_a_rule_of_the_longest_allowed_body_is_read_in_order():
    body = " & ".join(f"val(C, 'f{i}', X{i})" for i in range(199))
    (rule,) = parse_text(f"big(C) <= case(C) & {body}\n")
    assert len(rule.body) == 200 and rule.body[-1] == Atom("val", (Var("C"), Const("f198"), Var("X198")))
