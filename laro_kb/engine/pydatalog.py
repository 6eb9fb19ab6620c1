"""A pyDatalog engine of our own, driven through its term API only.

pyDatalog keeps its state (the "Logic") per thread. An :class:`Engine` owns one
Logic and makes it current, under a lock, for the length of each call; so one
Engine may be used from any thread, and its calls run one at a time. Deciding
in parallel means one Engine per thread or per process.

No text is ever given to ``pyDatalog.load`` or ``pyDatalog.ask``: clauses are
built from :mod:`laro_kb.knowledge.program` values, and facts and queries from Python
values wrapped as engine constants. A hostile string stays a string.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, Sequence

from pyDatalog import Logic as _logic_module  # noqa: F401  (importing it sets pyEngine.Logic)
from pyDatalog import pyEngine
from pyDatalog.Logic import Logic

from ..knowledge.program import Atom, Comparison, Fact, Statement, Var
from .decision_program import REPORT, compile_program

pyEngine.Float_Precision = None  # compare floats exactly: 29.9999 must not pass ">= 30"


class Engine:
    """One pyDatalog logic with the knowledge base's clauses in it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        with self._lock:
            saved = getattr(Logic.tl, "logic", None)
            self._logic = Logic()  # a fresh, empty logic for this thread ...
            if saved is not None:  # ... which must not displace the caller's own
                Logic.tl.logic = saved

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make this engine's logic the current one for the calling thread."""
        with self._lock:
            saved = getattr(Logic.tl, "logic", None)
            Logic.tl.logic = self._logic
            if not hasattr(pyEngine.Fresh_var.tl, "counter"):  # first use of pyDatalog in this thread
                pyEngine.Fresh_var.tl.counter = 0
            try:
                yield
            finally:
                if saved is not None:
                    Logic.tl.logic = saved

    # -- building -------------------------------------------------------
    def add(self, statements: Iterable[Statement]) -> list:
        """Assert facts and rules; returns their engine clauses (for :meth:`retract`)."""
        clauses = []
        with self.active():
            for st in statements:
                if isinstance(st, Fact):
                    clause = pyEngine.Clause(_literal(st.atom), [])
                else:
                    clause = pyEngine.Clause(_literal(st.head), [_literal(b) for b in st.body])
                pyEngine.assert_(clause)
                clauses.append(clause)
        return clauses

    def assert_facts(self, facts: Iterable[tuple]) -> list:
        """Assert ground facts given as ``(pred, arg, ...)``; returns handles for :meth:`retract`."""
        with self.active():
            clauses = [pyEngine.Clause(pyEngine.Literal(f[0], [pyEngine.Term_of(a) for a in f[1:]]), [])
                       for f in facts]
            for clause in clauses:
                pyEngine.assert_(clause)
            return clauses

    def retract(self, clauses: Sequence) -> None:
        with self.active():
            for clause in clauses:
                pyEngine.retract(clause)

    # -- asking ---------------------------------------------------------
    def ask(self, pred: str, *args) -> list[tuple]:
        """Answers to ``pred(args)``; an argument given as ``None`` is a variable."""
        with self.active():
            if f"{pred}/{len(args)}" not in Logic.tl.logic.Db:
                return []  # a predicate that a (draft) kb never mentions has no answers
            terms = [pyEngine.Var(f"V{i}") if a is None else pyEngine.Term_of(a) for i, a in enumerate(args)]
            answer = pyEngine.Literal(pred, terms).ask()
            return [] if answer is True or not answer else list(answer)

    def rows(self, key: str) -> list[tuple]:
        """Every row of the predicate ``key`` (``name/arity``)."""
        name, arity = key.rsplit("/", 1)
        return self.ask(name, *([None] * int(arity)))


class PyDatalogDecider:
    """Decisions asked of pyDatalog, the reference engine: the report of kb/logic.dl, or of the decision program
    specialised from it (:mod:`laro_kb.engine.decision_program`) once that is built.

    The decision program is built on :meth:`compile`, or before the ``COMPILE_AFTER``-th decision, so a process
    that decides a few cases never pays for it; ``compiled=False`` never builds it (logic.dl answers, slower)."""

    name = "pydatalog"
    COMPILE_AFTER = 20  # decisions before the decision program is built (it costs about 0.4 s, once)

    def __init__(self, engine: Engine, statements: list[Statement], compiled: bool = True):
        self.engine = engine
        self.statements = statements
        # None: not built yet; []: turned off (logic.dl answers); a list: the program's rules, loaded
        self.compiled: Optional[list[Statement]] = None if compiled else []
        self._decisions = 0
        self._lock = threading.Lock()

    def compile(self) -> None:
        with self._lock:
            if self.compiled is None:
                statements = compile_program(self.engine, self.statements)
                self.engine.add(statements)
                self.compiled = statements

    def prepare(self, omit: frozenset[str] = frozenset()) -> None:
        """Build the decision program now (what processes forked from this one then share)."""
        self.compile()

    def forked(self) -> None:
        """In a process forked from the one that built this decider: a lock of its own (the engine's tables are
        this process's copy)."""
        self._lock = threading.Lock()

    def report_predicate(self) -> str:
        """The predicate a decision asks: the decision program's report once it is built, else logic.dl's."""
        if self.compiled is None:
            self._decisions += 1
            if self._decisions >= self.COMPILE_AFTER:
                self.compile()
        return REPORT if self.compiled else "report"

    def report(self, facts: list[tuple], case_ids: list[str], omit: frozenset[str] = frozenset()) -> list[tuple]:
        """The ``report/5`` rows of the cases whose facts are given: asserted, asked in one query, retracted. Rows
        of the kinds in ``omit`` are left out (the reference derives them all the same)."""
        handles = self.engine.assert_facts(facts)
        try:
            one = case_ids[0] if len(case_ids) == 1 else None  # a ground query costs half of an open one
            rows = self.engine.ask(self.report_predicate(), one, None, None, None, None)
        finally:
            self.engine.retract(handles)
        return [r for r in rows if r[1] not in omit] if omit else rows


def _term(t):
    return pyEngine.Var(t.name) if isinstance(t, Var) else pyEngine.Term_of(t.value)


def _literal(lit: Atom | Comparison):
    if isinstance(lit, Comparison):
        return pyEngine.Literal(lit.op, [_term(lit.left), _term(lit.right)])
    return pyEngine.Literal(("~" if lit.negated else "") + lit.pred, [_term(a) for a in lit.args])


__all__ = ["Engine", "PyDatalogDecider"]
