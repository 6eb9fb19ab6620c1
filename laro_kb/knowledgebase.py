"""The knowledge base: kb/ loaded into an engine, and the decisions it makes.

>>> import laro_kb
>>> kb = laro_kb.load()
>>> d = kb.decide(kb.case(age=58, section="nsclc", ntrk_fusion="positive"))
>>> d.outcome
'pend'
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from .case.model import Case
from .case.files import read_data
from .case.parse import case_from_keywords, load_case_file, parse_case
from .case.suggest import nearest
from .decision import Audit, CriterionStatus, Decision, PathwayResult, Summary, verdict_order
from .engine.cache import Entry as Cache, Recorder
from .engine.materialize import materialize
from .engine.sqlengine import SQLDecider
from .errors import KBError, LaroError
from .explain.explanation import Explanation, explain
from .explain.selfcheck import disagreements
from .explain.trace import Program
from .fhir import is_fhir
from .knowledge import program
from .knowledge.files import default_kb_dir, kb_files
from .knowledge.pathways import (DISPLAY_ORDER, Criterion, Derivation, Pathway, Policy, read_criteria,
                                 read_derivations, read_links, read_pathways, read_policy)
from .knowledge.vocabulary import Vocabulary
from .render.decision import decision_text
from .render.explanation import RENDERERS
from .render.letter import LETTERS

if TYPE_CHECKING:
    from .engine.pydatalog import Engine, PyDatalogDecider


ENGINES = ("sql", "pydatalog")
SUMMARY_OMITS = frozenset({"status", "derived"})  # report rows a Summary does without: the criteria's statuses
FORMATS = tuple(RENDERERS) + tuple(LETTERS)  # the formats of an explanation (laro-kb why --format)
DEFAULT_ENGINE = "sql"  # the fastest engine that agrees with the reference on every case (tests/engine/test_sql.py)
FIXED_CLOCK = "LARO_KB_DECIDED_AT"  # an environment variable that fixes decided_at, for reproducible outputs


def utc_now() -> str:
    """The time of a decision: now, in UTC, ISO 8601 to the second (``2026-12-03T10:15:00Z``); or the time that
    $LARO_KB_DECIDED_AT fixes, so that golden files and byte-for-byte comparisons of whole outputs hold."""
    fixed = os.environ.get(FIXED_CLOCK)
    if fixed:
        try:
            when = datetime.fromisoformat(fixed)
        except ValueError:
            raise KBError(f"${FIXED_CLOCK} is {fixed!r}, not an ISO 8601 time (2026-01-01T00:00:00Z)") from None
        if when.tzinfo is None:
            raise KBError(f"${FIXED_CLOCK} is {fixed!r}, which gives no time zone; give one (Z for UTC)")
    else:
        when = datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def kb_version(files) -> str:
    """A hash of the kb's files (their names and bytes, in load order): two kbs that decide alike by construction
    have the same version, and any edit of a file changes it."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


class KnowledgeBase:
    """A loaded kb/. Thread-safe: calls on one instance run one at a time.

    Two engines decide from the same rules: ``pydatalog``, the reference, whose derivations the explanations trace,
    and ``sql``, the rules compiled to SQL (SQLite for a few cases, DuckDB for many), which gives the same decisions
    faster. ``engine`` chooses the one that decides. The pyDatalog engine holds the kb that the explanations and
    checks read: it is loaded with the kb, or, when the sql engine starts from the cache of what an earlier load
    derived (:mod:`laro_kb.engine.cache`), on first use of :attr:`engine`, :attr:`statements` or :attr:`reference`."""

    def __init__(self, directory: Union[str, Path, None] = None, *, engine: str = DEFAULT_ENGINE,
                 materialized: bool = True, compiled: bool = True, clock=utc_now,
                 cache: Union[bool, str, Path] = True):
        if engine not in ENGINES:
            raise KBError(f"no engine {engine!r}; choose one of {', '.join(ENGINES)}",
                          suggestion=nearest(engine, ENGINES))
        self.directory = Path(directory) if directory is not None else default_kb_dir()
        self.files = kb_files(self.directory)
        self.version = kb_version(self.files)
        self.clock = clock  # () -> the UTC ISO 8601 time stamped on each decision
        self._materialize, self._compile_program = materialized, compiled
        self._engine: Optional[Engine] = None  # the pyDatalog engine, built on first need when the cache gave the rest
        self._load_lock = threading.RLock()
        # what a load derives from the files, kept on disk between processes (laro_kb/engine/cache.py): the sql
        # engine decides from it alone; the pyDatalog engine is built when something asks for it
        entry = Cache.open(self.version, cache) if engine == "sql" and materialized else None
        saved = entry.load() if entry is not None else None
        if saved is not None:
            source, self.materialized = saved
        else:
            self._build()
            source = Recorder(self.engine)
        self.vocabulary = Vocabulary.from_engine(source)
        self.pathways: dict[str, Pathway] = read_pathways(source)
        self.criteria: dict[str, Criterion] = read_criteria(source)
        self.links = read_links(source)
        self.derivations: dict[str, tuple[Derivation, ...]] = read_derivations(source)
        self.policy: Policy = read_policy(source)
        if entry is not None and saved is None:
            entry.save(source.rows, self.materialized)
        self.decider = (self.reference if engine == "pydatalog" else
                        SQLDecider(self._sql_source, entry))
        self._ids = itertools.count(1)
        self._statuses: dict[tuple, CriterionStatus] = {}  # bounded by the kb: its pathways, criteria and fields
        self._program = None
        self._explain_lock = threading.Lock()
        self._lock = threading.Lock()

    def _build(self) -> None:
        """Parse every file, load the statements into a pyDatalog engine and materialize what no case changes."""
        from .engine.pydatalog import Engine, PyDatalogDecider  # pyDatalog: imported by a process that needs it
        # parse every file before anything is loaded: a file that is not Datalog is refused whole
        statements: list[program.Statement] = []
        for path in self.files:
            statements.extend(program.parse_file(path))
        engine = Engine()
        clauses = engine.add(statements)
        self._derived = materialize(engine, statements, clauses) if self._materialize else {}
        self.materialized = {key: len(rows) for key, rows in self._derived.items()}
        self._statements = statements
        # the reference decides with kb/logic.dl, or the decision program specialised from it once built
        self._reference = PyDatalogDecider(engine, statements, self._compile_program)
        self._engine = engine

    def _loaded(self) -> None:
        with self._load_lock:
            if self._engine is None:
                self._build()

    @property
    def engine(self) -> Engine:
        """The pyDatalog engine holding the kb (the trace, the checks and the reference read it), built on first
        use when the kb was loaded from the cache."""
        if self._engine is None:
            self._loaded()
        return self._engine

    @property
    def statements(self) -> list[program.Statement]:
        """The kb's statements, parsed, in load order."""
        if self._engine is None:
            self._loaded()
        return self._statements

    @property
    def reference(self) -> PyDatalogDecider:
        """The reference engine's decider (pyDatalog)."""
        if self._engine is None:
            self._loaded()
        return self._reference

    def _sql_source(self):
        """What the SQL compiler reads: the pyDatalog engine after materialization, the statements, and the rows
        materialization derived."""
        engine = self.engine
        return engine, self._statements, self._derived

    @property
    def engine_name(self) -> str:
        """The engine that decides: ``sql`` or ``pydatalog``."""
        return self.decider.name

    @property
    def compiled(self):
        """The reference's decision program: None before it is built, [] when turned off, else its rules."""
        if self._engine is None:  # loaded from the cache: the reference is not built yet
            return None if self._compile_program else []
        return self._reference.compiled

    def compile(self) -> None:
        """Build what the deciding engine compiles, now rather than on first need: the decision program for
        pyDatalog (otherwise built before its 20th decision), the SQLite database for sql."""
        self.decider.compile()

    def prepare_many(self) -> None:
        """Compile what deciding many cases' summaries takes (:meth:`summarize_many`) now, without opening a
        database, so that worker processes forked from this one share it instead of each loading and compiling
        the kb again."""
        self.decider.prepare(SUMMARY_OMITS)

    def forked(self) -> None:
        """Make this kb usable in a process forked from the one that loaded it: locks of its own, and databases
        of its own, opened on first use from the programs compiled before the fork."""
        self._lock = threading.Lock()
        self._explain_lock = threading.Lock()
        self.decider.forked()
        if self._engine is not None and self._reference is not self.decider:
            self._reference.forked()

    @property
    def program(self):
        """The kb's statements indexed for the tracer (built on first use)."""
        if self._program is None:
            self._program = Program(self.statements)
        return self._program

    def __repr__(self) -> str:
        return f"<KnowledgeBase {self.directory}: {len(self.pathways)} pathways, {len(self.files)} files>"

    # -- cases -----------------------------------------------------------
    def case(self, case_id: str = "case", **keywords) -> Case:
        """A case from keywords: ``kb.case(age=58, section='nsclc', ntrk_fusion='positive')``."""
        return case_from_keywords(self.vocabulary, case_id, **keywords)

    def read_case(self, path: Union[str, Path]) -> Case:
        """A case file, or a FHIR Bundle (recognized by its resourceType; docs/fhir.md)."""
        data = read_data(Path(path))
        if is_fhir(data):
            from .fhir import case_from_fhir
            return case_from_fhir(data, self.vocabulary, file=str(path))
        return load_case_file(path, self.vocabulary, data=data)

    def parse_case(self, data: dict, **where) -> Case:
        """The nested mapping of a case, or a FHIR Bundle, validated."""
        if is_fhir(data):
            from .fhir import case_from_fhir
            return case_from_fhir(data, self.vocabulary, file=where.get("file"), record=where.get("record"))
        return parse_case(data, self.vocabulary, **where)

    def _as_case(self, case: Union[Case, dict, str, Path]) -> Case:
        if isinstance(case, Case):
            return case
        if isinstance(case, dict):
            return self.parse_case(case)
        return self.read_case(case)

    # -- deciding ---------------------------------------------------------
    def decide(self, case: Union[Case, dict, str, Path]) -> Decision:
        """Approve, pend or deny ``case``, with every candidate pathway and criterion behind it."""
        return self.decide_many([self._as_case(case)])[0]

    def decide_many(self, cases: list[Case]) -> list[Decision]:
        """Decide many cases set-at-a-time: all their facts in the engine at once (each under its own case id), one
        query for all of them. The same decisions as :meth:`decide` one by one."""
        audit = self._audit()
        return [self._decision(case, rows, audit) for case, rows in self._reports(cases)]

    def summarize_many(self, cases: list[Case]) -> list[Summary]:
        """:meth:`decide_many` without the status of each criterion, which is then never derived: for each case,
        the ``Decision.summary()`` of its decision, at a fraction of the cost (what a batch record needs)."""
        audit = self._audit()
        return [self._summary(case, rows, audit) for case, rows in self._reports(cases, SUMMARY_OMITS)]

    def _reports(self, cases: list[Case], omit: frozenset[str] = frozenset()) -> list[tuple[Case, list[tuple]]]:
        """Each case with its report rows, asked of the deciding engine in one call."""
        with self._lock:
            cids = [f"#case{next(self._ids)}" for _ in cases]
        facts = [f for case, cid in zip(cases, cids) for f in case.facts(cid, self.vocabulary)]
        rows = self.decider.report(facts, cids, omit)
        by_case: dict[str, list] = {cid: [] for cid in cids}
        for row in rows:
            mine = by_case.get(row[0])
            if mine is not None:  # a case another thread is deciding at this moment is not ours
                mine.append(row)
        return [(case, by_case[cid]) for case, cid in zip(cases, cids)]

    @staticmethod
    def _summary(case: Case, rows: list[tuple], audit: Optional[Audit] = None) -> Summary:
        outcome, verdicts, months, needs, asks = [], [], [], {}, []
        for _, kind, a, b, c in rows:
            if kind == "verdict":
                verdicts.append((a, b))
            elif kind == "gap":
                needs.setdefault(a, set()).add(c)
            elif kind == "decision":
                outcome.append(a)
            elif kind == "months":
                months.append(a)
            elif kind == "ask":
                asks.append(a)
        if len(outcome) != 1:
            raise KBError(f"the kb derived {len(outcome)} decisions for one case ({outcome}); expected exactly one")
        pending = {p for p, v in verdicts if v == "pending"}
        return Summary(case, outcome[0], tuple(sorted(verdicts, key=verdict_order)),
                       tuple(sorted((p, tuple(sorted(f))) for p, f in needs.items() if p in pending)),
                       months[0] if months else None, tuple(sorted(asks)), audit)

    def _audit(self) -> Audit:
        from . import __version__
        return Audit(self.version, self.policy, self.clock(), self.engine_name, __version__)

    def _decision(self, case: Case, rows: list[tuple], audit: Optional[Audit] = None) -> Decision:
        """A Decision from the kb's report/5 rows for one case."""
        outcome, verdicts, assessed, months, notes, asks = [], [], [], [], [], []
        gaps: dict[tuple[str, str], list] = {}
        derived: dict[str, list[str]] = {}  # criterion -> the criteria a derivation settled it from
        for _, kind, a, b, c in rows:
            if kind == "status":
                assessed.append((a, b, c))
            elif kind == "derived":
                derived.setdefault(a, []).append(b)
            elif kind == "gap":
                gaps.setdefault((a, b), []).append(c)
            elif kind == "verdict":
                verdicts.append((a, b))
            elif kind == "decision":
                outcome.append(a)
            elif kind == "months":
                months.append(a)
            elif kind == "code":
                notes.append((a, b))
            elif kind == "ask":
                asks.append(a)
        if len(outcome) != 1:
            raise KBError(f"the kb derived {len(outcome)} decisions for one case ({outcome}); expected exactly one")
        return Decision(case, outcome[0], self._results(verdicts, assessed, gaps, derived),
                        months[0] if months else None,
                        tuple(sorted(notes)), self, tuple(sorted(asks)), audit)

    def explain(self, case: Union[Case, dict, str, Path], pathways: Optional[list[str]] = None, changes: bool = True):
        """Why and why-not, from derivation traces: every candidate pathway, or the ``pathways`` named."""
        for pid in pathways or ():
            self.pathway(pid)  # an unknown id is a KBError with the nearest id
        case = self._as_case(case)
        with self._explain_lock:
            explanation = explain(self, case, pathways, changes)
        if self.decider is not self.reference:  # the trace is pyDatalog's: it must show the decision made
            problems = disagreements(self.decide(case), explanation, self.engine_name)
            if problems:
                raise KBError(f"the {self.engine_name} engine and the reference disagree on case {case.id!r}: "
                              f"{'; '.join(problems)} (decide with --engine pydatalog, and report this)")
        return explanation

    def _results(self, verdicts, assessed, gaps, derived) -> tuple[PathwayResult, ...]:
        statuses = self._statuses  # one immutable CriterionStatus per (pathway, criterion, status, missing, ...), shared
        criteria: dict[str, list] = {}
        for p, k, s in assessed:
            missing = tuple(sorted(set(gaps[(p, k)]))) if (p, k) in gaps else ()
            sources = tuple(sorted(derived[k])) if k in derived else ()
            key = (p, k, s, missing, sources)
            status = statuses.get(key)
            if status is None:
                crit = self.criteria.get(k)
                dimension = self.links.get((p, k), "requires")
                status = statuses[key] = CriterionStatus(k, dimension, s, crit.label if crit else k, missing,
                                                         sources)
            criteria.setdefault(p, []).append(status)
        results = []
        for p, v in verdicts:
            cs = tuple(sorted(criteria.get(p, ()), key=_display_order))
            needs = tuple(sorted({f for c in cs for f in c.missing})) if v == "pending" else ()
            results.append(PathwayResult(self.pathways[p], v, cs, needs))
        return tuple(sorted(results, key=PathwayResult.closeness))

    def sql(self, dialect: str = "duckdb") -> str:
        """The kb compiled to SQL for ``dialect`` (sqlite, duckdb or postgres), as one script (docs/scale.md)."""
        decider = self.decider if isinstance(self.decider, SQLDecider) else SQLDecider(self._sql_source)
        return decider.program(dialect).script()

    def text(self, value: Union[Decision, Explanation], depth: int = 3, format: str = "text") -> str:
        """A decision or an explanation as the CLI prints it (``print(decision)``, ``decision.why()``); an
        explanation in any ``format`` of ``laro-kb why``: text, markdown, json, letter or letter-html.

        The renderers live in laro_kb.render, above the values they render; a Decision reaches them through the
        KnowledgeBase that made it, so the value itself imports no renderer."""
        if isinstance(value, Decision):
            return decision_text(value)
        if format in LETTERS:  # an approval's letter gives the authorization period the kb derives
            months = self.decide(value.case).authorization_months if value.outcome == "approve" else None
            return LETTERS[format](value, self.vocabulary, self.policy, months)
        if format not in RENDERERS:
            raise LaroError(f"no format {format!r}; choose one of {', '.join(FORMATS)}",
                          suggestion=nearest(format, FORMATS))
        return RENDERERS[format](value, depth)

    def pathway(self, pathway_id: str) -> Pathway:
        try:
            return self.pathways[pathway_id]
        except KeyError:
            raise KBError(f"no pathway {pathway_id!r}", suggestion=nearest(pathway_id, self.pathways)) from None


def _display_order(c: CriterionStatus) -> tuple:
    return (DISPLAY_ORDER.get(c.dimension, 9), c.criterion)


def load(directory: Union[str, Path, None] = None, *, engine: str = DEFAULT_ENGINE,
         compiled: bool = True, clock=utc_now, cache: Union[bool, str, Path] = True) -> KnowledgeBase:
    """Load a knowledge base (the shipped kb/ by default), deciding with ``engine``: ``sql`` (the default, the
    fastest) or ``pydatalog`` (the reference). ``compiled=False`` has pyDatalog decide with kb/logic.dl's generic
    rules instead of the decision program built from them (the same answers; laro_kb/engine/decision_program.py).
    ``clock`` gives the time stamped on each decision (``decided_at``; :func:`utc_now` by default). ``cache``
    says where what a load derives from the kb's files is kept between processes (True: the user's cache directory,
    laro_kb/engine/cache.py; a directory; False: nowhere)."""
    return KnowledgeBase(directory, engine=engine, compiled=compiled, clock=clock, cache=cache)
