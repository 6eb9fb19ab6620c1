"""What the SQL compiler does to the rules before writing SQL, on a small program whose answers are worked out by
hand: a predicate read in one place is folded into its reader (no table of its own), one read only in negations is
written as NOT EXISTS of its rule, a group of kb literals that share variables is joined once at compile time, and
the answers are those the rules define, in SQLite and DuckDB.
(tests/engine/test_sql.py holds the whole kb to pyDatalog.)"""

from __future__ import annotations

import pytest

from laro_kb.engine.sql import compile_sql
from laro_kb.engine.sqlengine import SQLEngine, static_rows
from laro_kb.errors import KBError
from laro_kb.knowledge.program import parse_text

PROGRAM = """
+ is_a('b', 'a')
+ wants('k1', 'f', 'a')
+ wants('k2', 'f', 'c')
+ form('k1', 'w')
+ form('k2', 'w')
+ form('k3', 'n')
+ at_least('k3', 'g', 5)
by(C, K, 'w') <= val(C, F, X) & is_a(X, V) & wants(K, F, V)
by(C, K, 'w') <= val(C, F, V) & wants(K, F, V)
by(C, K, 'n') <= at_least(K, F, B) & val(C, F, X) & (X >= B)
ok(C, K) <= form(K, M) & by(C, K, M)
near(C, K, 'x') <= ok(C, K) & val(C, 'g', _G)
near(C, K, 'y') <= ok(C, K)
far(C, K) <= near(C, K, 'x')
has(C, K) <= wants(K, F, _V) & val(C, F, _X)
seen(C, K) <= form(K, 'w') & case(C)
lacking(C, K) <= seen(C, K) & ~has(C, K)
both(C, K) <= seen(C, K) & ok(C, K)
report(C, 'ok', K, '', '') <= ok(C, K)
report(C, 'far', K, '', '') <= far(C, K)
report(C, 'lacking', K, '', '') <= lacking(C, K)
report(C, 'both', K, '', '') <= both(C, K)
"""

FACTS = [("case", "#1"), ("val", "#1", "f", "b"), ("val", "#1", "g", 7),
         ("case", "#2"), ("val", "#2", "f", "c"), ("val", "#2", "g", 3),
         ("case", "#3"), ("val", "#3", "f", "c"), ("case", "#4"), ("val", "#4", "g", 9)]


@pytest.fixture(scope="module")
def statements():
    return parse_text(PROGRAM, "small.dl")


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_small_program_answers_as_its_rules_say_after_folding_and_joining(statements, dialect):
    program = compile_sql(statements, static_rows(None, statements), dialect)
    got = set(SQLEngine(program).report(FACTS))
    # #1: f = b, a kind of a (k1), and g = 7 >= 5 (k3); #2: f = c (k2), g = 3 < 5; #3: f = c (k2), no g;
    # #4: no f, g = 9 (k3)
    assert {r for r in got if r[1] == "ok"} == {("#1", "ok", "k1", "", ""), ("#1", "ok", "k3", "", ""),
                                                ("#2", "ok", "k2", "", ""), ("#3", "ok", "k2", "", ""),
                                                ("#4", "ok", "k3", "", "")}
    # far reads near's 'x' rule only (the 'y' rule cannot match its constant), which needs some g
    assert {r for r in got if r[1] == "far"} == {("#1", "far", "k1", "", ""), ("#1", "far", "k3", "", ""),
                                                 ("#2", "far", "k2", "", ""), ("#4", "far", "k3", "", "")}
    # the 'w' criteria want f: only #4 lacks it
    assert {r for r in got if r[1] == "lacking"} == {("#4", "lacking", "k1", "", ""), ("#4", "lacking", "k2", "", "")}
    assert {r for r in got if r[1] == "both"} == {("#1", "both", "k1", "", ""), ("#2", "both", "k2", "", ""),
                                                  ("#3", "both", "k2", "", "")}


def test_predicates_read_in_one_place_are_folded_into_their_reader(statements):
    program = compile_sql(statements, static_rows(None, statements), "sqlite")
    assert "by/3" not in program.dynamic and "near/3" not in program.dynamic  # folded: no table, no step
    assert "ok/2" in program.dynamic  # read by three rules, and joins on: kept
    assert "seen/2" not in program.dynamic  # a filter (it binds no variable but its head's): folded into both readers
    assert "far/2" in program.dynamic  # the report reads it: kept, so the report stays a plain read of tables


def test_a_predicate_read_only_in_negations_is_written_as_not_exists_of_its_rule(statements):
    program = compile_sql(statements, static_rows(None, statements), "sqlite")
    assert "has/2" not in program.dynamic  # no table: ~has(C, K) is NOT EXISTS of wants & val
    lacking = dict(program.steps)["lacking/2"]
    assert "NOT EXISTS (SELECT 1 FROM" in lacking and '"p_val_3"' in lacking and '"p_has_2"' not in lacking


def test_kb_literals_that_share_variables_are_joined_once_into_a_table_of_their_own(statements):
    program = compile_sql(statements, static_rows(None, statements), "sqlite")
    # ok's rule folded with by's first rule reads form(K, 'w') & is_a(X, V) & wants(K, F, V): one table of the
    # values of K, X and F that the rest of the rule reads (V is used nowhere else, so it is not kept)
    assert program.static["form+is_a+wants/3"] == [("sk1", "sb", "sf")]
    sql = "\n".join(step for _, step in program.steps)
    assert '"p_form+is_a+wants_3"' in sql and '"p_is_a_2"' not in sql


# -- soundness of the rewrites on programs an author might write (each answer worked out by hand) ----------------
def answers(text: str, facts: list[tuple], dialect: str) -> set[tuple]:
    statements = parse_text(text, "small.dl")
    return set(SQLEngine(compile_sql(statements, static_rows(None, statements), dialect)).report(facts))


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_negation_written_as_not_exists_keeps_a_dont_care_variable_that_it_repeats(dialect):
    # ~same(C, Y, Y): no Y that is both the case's f and its g; same/3 is read only in that negation, so it is
    # written as NOT EXISTS of its rule, which must still tie its two columns together
    text = """
same(C, X, Z) <= val(C, 'f', X) & val(C, 'g', Z)
differ(C) <= case(C) & ~same(C, Y, Y)
report(C, 'differ', '', '', '') <= differ(C)
"""
    facts = [("case", "#1"), ("val", "#1", "f", "u"), ("val", "#1", "g", "v"),
             ("case", "#2"), ("val", "#2", "f", "u"), ("val", "#2", "g", "u")]
    assert answers(text, facts, dialect) == {("#1", "differ", "", "", "")}


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_negation_before_the_literal_that_binds_its_variable_is_refused_after_folding_too(dialect):
    # pyDatalog answers nothing for ~q(C, K) before s(C, K) binds K, and the compiler refuses such a rule; folding
    # s/2 (read in one place) into the rule must not move the negation after it and answer
    text = """
q(C, K) <= val(C, 'q', K)
s(C, K) <= val(C, 's', K)
r(C, K) <= case(C) & ~q(C, K) & s(C, K)
report(C, 'r', K, '', '') <= r(C, K)
"""
    statements = parse_text(text, "small.dl")
    with pytest.raises(KBError, match="bound only after the negation"):
        compile_sql(statements, static_rows(None, statements), dialect)


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_rule_that_folding_leaves_with_no_match_makes_an_empty_predicate(dialect):
    # one(C, 'a') reads pair(C, C), but pair's head has two different constants there: one/2 has no rows, and
    # the program still runs
    text = """
pair(C, 2, 1) <= val(C, 'g', _X)
one(C, 'a') <= case(C) & pair(C, C, C)
two(C, 'b') <= val(C, 'g', _X)
report(C, 'one', V, '', '') <= one(C, V)
report(C, 'two', V, '', '') <= two(C, V)
"""
    facts = [("case", "#1"), ("val", "#1", "g", 2)]
    assert answers(text, facts, dialect) == {("#1", "two", "b", "", "")}


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_demand_keeps_a_negation_only_where_its_variables_stay_bound(dialect):
    # r's rule reads ~n(C, Y) with Y bound by pinned(C, Y); the demand of pinned/2 (from r's other literals) may
    # not keep ~n(C, Y) with Y a don't-care ("no n at all"): #1 has an n, on another value than its pinned one
    text = """
s(C, K) <= val(C, 's', X) & val(C, X, K)
pinned(C, Y) <= s(C, Y) & val(C, 'p', Y)
pinned(C, Y) <= s(C, Y) & val(C, 'pp', Y)
n(C, Y) <= val(C, 'n', Y)
n(C, Y) <= val(C, 'nn', Y)
r(C, K) <= case(C) & s(C, K) & pinned(C, Y) & ~n(C, Y)
t(C, K) <= case(C) & val(C, 't', K) & pinned(C, K)
report(C, 'r', K, '', '') <= r(C, K)
report(C, 't', K, '', '') <= t(C, K)
"""
    facts = [("case", "#1"), ("val", "#1", "s", "x"), ("val", "#1", "x", "a"), ("val", "#1", "p", "a"),
             ("val", "#1", "n", "z")]
    assert answers(text, facts, dialect) == {("#1", "r", "a", "", "")}


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_kb_literals_joined_into_no_rows_get_a_table_of_their_own_arity(dialect):
    # both rules join s and t into no rows at all, one keeping X, the other X and Y: two tables, not one
    text = """
+ s('a', 'b')
+ t('b', 'c')
one(C, X) <= val(C, 'f', X) & s(X, Y) & t(Y, 'z')
two(C, X, Y) <= val(C, 'f', X) & val(C, 'g', Y) & s(X, Y) & t(Y, 'z')
both(C, X) <= val(C, 'f', X) & s(X, _Y)
report(C, 'one', X, '', '') <= one(C, X)
report(C, 'two', X, Y, '') <= two(C, X, Y)
report(C, 'both', X, '', '') <= both(C, X)
"""
    facts = [("case", "#1"), ("val", "#1", "f", "a"), ("val", "#1", "g", "b")]
    assert answers(text, facts, dialect) == {("#1", "both", "a", "", "")}
