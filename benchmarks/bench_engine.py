"""Benchmark: what pyDatalog itself costs per operation, the floor under every decision time in performance.md.

Run:  .venv/bin/python benchmarks/bench_engine.py

A small synthetic program on a fresh engine, built through the term API: a trivial query, a chain of rule
subgoals, one rule with many fact literals, a call that must try many non-matching rules, and adding clauses.
It reports numbers and asserts nothing.
"""

from __future__ import annotations

import time

from pyDatalog import Logic as _logic_module  # noqa: F401  (sets pyEngine.Logic)
from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

T, V, L = pyEngine.Term_of, pyEngine.Var, pyEngine.Literal
ROUNDS = 200


def rule(head, body) -> None:
    pyEngine.assert_(pyEngine.Clause(head, body))


def per_call(pred: str, *args) -> float:
    lit = lambda: L(pred, [V(f"X{i}") if a is None else T(a) for i, a in enumerate(args)])  # noqa: E731
    lit().ask()
    t = time.perf_counter()
    for _ in range(ROUNDS):
        lit().ask()
    return (time.perf_counter() - t) / ROUNDS


def main() -> None:
    Logic()
    pyEngine.Fresh_var.tl.counter = 0
    t = time.perf_counter()
    for i in range(2000):
        pyEngine.assert_(pyEngine.Clause(L("val", [T(f"c{i}"), T("x"), T("y")]), []))
    add = (time.perf_counter() - t) / 2000
    fact = L("val", [V("C"), T("x"), T("y")])
    rule(L("trivial", [V("C")]), [fact])
    for i in range(50):
        rule(L(f"chain{i}", [V("C")]), [L(f"chain{i + 1}", [V("C")])] if i < 49 else [fact])
    rule(L("wide", [V("C")]), [fact] * 50)
    for i in range(400):
        rule(L("many", [V("C"), T(f"k{i}")]), [fact])
    trivial = per_call("trivial", "c1")
    print(f"pyDatalog engine: {'compiled' if pyEngine.__file__.endswith('.so') else 'pure Python'}")
    print(f"add a fact                        {add * 1e6:7.1f} us")
    print(f"trivial query                     {trivial * 1e6:7.1f} us")
    print(f"each rule subgoal (chain of 50)   {(per_call('chain0', 'c1') - trivial) / 49 * 1e6:7.1f} us")
    print(f"each resolved literal (50 in one) {(per_call('wide', 'c1') - trivial) / 49 * 1e6:7.1f} us")
    print(f"each non-matching rule (400)      {(per_call('many', 'c1', 'k7') - trivial) / 399 * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
