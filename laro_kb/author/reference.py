"""Witnesses one kb lends to the check of an edited copy of it.

``laro-kb check`` searches a witness for every pathway (:func:`laro_kb.explain.witness.witness`: the first of the
pathway's candidate cases that the rules prove approved, each candidate proved by the tracer), and that search is most
of what checking a kb costs. A one-line edit leaves most searches as they were. A proof reads the kb only through the
tracer's lookups (the rules of a predicate, the facts of a predicate, the facts of a predicate with a given first
argument), so when no statement the edit adds or removes is one that a search looked up, and the candidates it tried
are the same, it tries the same cases against the same answers and finds the same witness.

A :class:`WitnessReference` runs every pathway's search once on a kb, recording the candidates each tried up to its
witness and every lookup of their proofs; :meth:`WitnessReference.lend` gives an edited kb the witnesses it can take
as they are. ``run_check(directory, reference=...)`` uses them, and searches the rest; the findings are the same as
without it (tests/author/test_mutants.py checks a copy edited one line at a time, 72 ways, against one reference).
"""

from __future__ import annotations

from typing import Optional

from ..case.model import Case
from ..explain.repair import Repairer
from ..explain.trace import Program, Tracer
from ..explain.witness import Witness
from ..knowledge.program import Fact, Statement
from .diff import statement_identity
from .generate import witness_candidates


class _Looked(dict):
    """A dict of the tracer's program that notes each key it is asked for."""

    def __init__(self, items: dict, kind: str, read: set):
        super().__init__(items)
        self.kind, self.read = kind, read

    def get(self, key, default=None):
        self.read.add((self.kind, key))
        return super().get(key, default)


class WitnessReference:
    """Every pathway's witness search in one kb: the candidates tried up to the witness, and what their proofs read."""

    def __init__(self, kb):
        self.statements = {statement_identity(st): st for st in kb.statements}
        read: set = set()
        program = Program(kb.statements)
        program.static = frozenset()  # no answer shared between proofs: what each proof reads is its own
        program.rules = _Looked(program.rules, "rules", read)
        program.facts = _Looked(program.facts, "facts", read)
        program.first = _Looked(program.first, "first", read)
        repairer = Repairer(kb)
        self.searches: dict[str, tuple[tuple, frozenset, Witness]] = {}  # pathway -> (tried, read, witness)
        for pid in sorted(kb.pathways):
            tried = witness_candidates(kb, repairer, pid)
            read.clear()
            for i, case in enumerate(tried):
                if case is not None and _approves(program, kb, case, pid):
                    self.searches[pid] = (_values(tried[:i + 1]), frozenset(read), Witness(pid, case))
                    break

    def lend(self, kb) -> dict[str, tuple[int, Witness]]:
        """pathway -> (the candidates its search tries before the witness, the witness) for each pathway of ``kb``
        whose search is the reference's own: the same candidates up to the witness, none of whose proofs looked up a
        statement that ``kb`` adds or removes."""
        theirs = {statement_identity(st): st for st in kb.statements}
        touched = set().union(*(_lookups(st) for k, st in self.statements.items() if k not in theirs),
                              *(_lookups(st) for k, st in theirs.items() if k not in self.statements))
        repairer = Repairer(kb)
        out = {}
        for pid, (tried, read, found) in self.searches.items():
            if pid not in kb.pathways or touched & read:
                continue
            if _values(witness_candidates(kb, repairer, pid, len(tried))) == tried:
                out[pid] = (len(tried) - 1, found)
        return out


def _approves(program: Program, kb, case: Case, pid: str) -> bool:
    """What :meth:`laro_kb.explain.repair.Repairer.approves` proves, over ``program``."""
    return bool(Tracer(program, case.facts("#repair", kb.vocabulary)).prove("verdict", "#repair", pid, "approved"))


def _values(cases: list[Optional[Case]]) -> tuple:
    return tuple(None if c is None else c.values for c in cases)


def _lookups(st: Statement) -> set[tuple]:
    """The tracer's lookups that would find ``st``."""
    if isinstance(st, Fact):
        return {("facts", st.atom.key)} | {("first", k) for k in Program([st]).first}
    return {("rules", st.head.key)}


__all__ = ["WitnessReference"]
