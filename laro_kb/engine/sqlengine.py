"""The compiled SQL program run in a database: SQLite (in the standard library) or DuckDB.

An :class:`SQLEngine` holds one in-memory database with the kb's static rows loaded once. :meth:`SQLEngine.report`
decides any number of cases at once: their facts go into the three fact tables as query parameters (a bulk insert,
never SQL text), the program's steps run in order, and the report rows of every case come back decoded, the same
rows as pyDatalog's ``report/5``. Calls on one engine run one at a time.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from typing import Iterable, Optional

from ..errors import KBError
from ..knowledge.program import Fact, Rule, Statement
from .sql import (FACT_TABLES, REPORT, TEXT, NotCodable, SQLProgram, arity, compile_sql, decode, encode,
                  fact_columns, static_inputs, table)


_DUCKDB_OPENED = False  # whether this process has opened a DuckDB database (see forkable)


def forkable() -> bool:
    """Whether this process may be forked to decide in its children: not once it has opened a DuckDB database,
    whose threads a fork does not copy (the child's copy of DuckDB can crash); SQLite is opened anew in a child."""
    return not _DUCKDB_OPENED


class SQLEngine:
    """One database holding the compiled program of a kb."""

    def __init__(self, program: SQLProgram, image: Optional[bytes] = None):
        self.program = program
        self.dialect = program.dialect.name
        self._lock = threading.Lock()
        if self.dialect == "sqlite":
            self._db = sqlite3.connect(":memory:", check_same_thread=False, cached_statements=1024)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = MEMORY"):
                self._db.execute(f"PRAGMA {pragma}")
            if image is not None:  # the database this program built before (image()), tables, rows and statistics
                self._db.deserialize(image)
        elif self.dialect == "duckdb":
            import duckdb  # imported only when asked for: it costs about 0.2 s
            global _DUCKDB_OPENED
            _DUCKDB_OPENED = True
            self._db = duckdb.connect(":memory:", config={"threads": 1})
        else:
            raise KBError(f"laro-kb runs SQL in sqlite or duckdb, not {self.dialect} (print it with laro-kb sql)")
        self._codes = program.codebook
        self._per_case = [table(key) for key in program.per_case]
        self._demands = {table(key) for key in program.demands}
        if image is None:
            self._build()
        # the value of each of those codes, decoded once (the codebook is complete once the static rows are coded)
        self._values = {} if self._codes is None else {c: decode(t) for c, t in self._codes.texts.items()}
        self._clear = program.clear_statements()
        if self._codes is not None:  # a run's own strings (its case ids, say) leave the text table with it
            self._clear.append(f"DELETE FROM {table(TEXT)} WHERE c0 > {2 * len(self._codes.codes)}")
        self._steps = [sql for _, sql in program.steps]
        # SQLite counts the rows each statement changes: a run empties only the tables the last one filled (for one
        # case about a third of the derived tables stay empty, and a DELETE costs as much as a small step)
        self._counted = self.dialect == "sqlite"
        self._step_clears = [f"DELETE FROM {table(key.split(' (')[0])}" for key, _ in program.steps]
        self._filled = set(self._clear)
        self._fact_clears = [f"DELETE FROM {table(key)}" for key in FACT_TABLES]
        # the case id is ours (text): its tag is cut in SQL; the other values repeat, so their decoding is cached
        case_id = "c0" if self._codes is not None else "substr(c0, 2)"
        source = f"({program.query})" if program.query else table(REPORT)
        self._report = f"SELECT {case_id}, c1, c2, c3, c4 FROM {source}"
        if self.dialect == "sqlite":  # the rows as one JSON text: Python's sqlite3 makes a str of every value it
            # returns (about 2 µs a report row), where json.loads makes the same strs from one text several times
            # faster; JSON escapes every character, so no value can be mistaken for another's boundary
            self._report = f"SELECT json_group_array(json_array({case_id}, c1, c2, c3, c4)) FROM {source}"

    def _build(self) -> None:
        """Create the program's tables, load the kb's rows and index them."""
        program = self.program
        for sql in program.create_statements():
            self._db.execute(sql)
        for key in program.static:
            rows = program.rows(key)
            self._insert(key, [list(col) for col in zip(*rows)] if rows else [])
        if self._codes is not None:  # every string code the kb's values have: the text table's fixed rows
            self._insert(TEXT, [list(self._codes.texts), list(self._codes.texts.values())])
        for sql in program.index_statements():
            self._db.execute(sql)
        if self.dialect == "sqlite":
            self._analyze()

    def image(self) -> Optional[bytes]:
        """The database as built, before any case, as bytes that ``SQLEngine(program, image)`` starts from (SQLite
        only: None for DuckDB)."""
        if self.dialect != "sqlite":
            return None
        with self._lock:
            return self._db.serialize()

    def _analyze(self) -> None:
        """Statistics for SQLite's planner: measured for the kb's tables; for the patient and derived tables, which
        are empty now and hold one case's few rows when asked, what one case gives (so that joins start from them,
        not from the kb's tables of hundreds of rows), and fewer still for the demand tables (the candidate
        pathways of a case, say), which exist to be joined first."""
        self._db.execute("ANALYZE")
        self._db.execute("DELETE FROM sqlite_stat1 WHERE tbl IN (%s)" % ", ".join("?" * len(self._per_case)),
                         [t.strip('"') for t in self._per_case])
        for key in self.program.per_case:  # SQLite's tables are keyed: each is its primary key's index, named as it
            name = table(key).strip('"')
            rows = 4 if table(key) in self._demands else 20
            # rows, rows a case, and then one row for each further column of the key
            self._db.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                             (name, name, f"{rows} {rows}" + " 1" * (arity(key) - 1)))
        self._db.execute("ANALYZE sqlite_schema")  # load the statistics just written

    def _insert(self, key: str, columns: list[list[str]]) -> None:
        if not columns or not columns[0]:
            return
        n = len(columns)
        if self.dialect == "sqlite":
            verb = self.program.dialect.insert if key in FACT_TABLES else "INSERT INTO"
            self._db.executemany(f"{verb} {table(key)} VALUES ({', '.join('?' * n)})", zip(*columns))
        else:  # DuckDB: one parameter per column, unnested side by side (executemany costs a round trip a row)
            types = ["BIGINT", "VARCHAR"] if key == TEXT else [self.program.dialect.text] * n
            # a column of codes goes as one string of digits, split in DuckDB: a Python list is converted to
            # DuckDB's values one element at a time, about three times slower (a parameter either way, never SQL)
            unnest = ", ".join("unnest(string_split(?, ',')::BIGINT[])" if t == "BIGINT" else f"unnest(?::{t}[])"
                               for t in types)
            self._db.execute(f"INSERT INTO {table(key)} SELECT {unnest}",
                             [",".join(map(str, col)) if t == "BIGINT" else col for t, col in zip(types, columns)])

    def report(self, facts: Iterable[tuple]) -> list[tuple]:
        """The report rows ``(case id, kind, a, b, c)`` of every case whose facts are given, decoded. A coded
        program raises :class:`~laro_kb.engine.sql.NotCodable` for a value it cannot code, before it runs."""
        codes = None
        if self._codes is None:
            columns = fact_columns(facts)
        else:
            codes = self._codes.run()
            known = len(codes.codes)
            columns = fact_columns(facts, codes.code_value)
            new = list(codes.texts)[known:]
        with self._lock:
            db = self._db
            for sql in self._clear:
                if sql in self._filled:
                    db.execute(sql)
            if codes is not None and new:
                self._insert(TEXT, [new, [codes.texts[c] for c in new]])
            for key in FACT_TABLES:
                self._insert(key, columns[key])
            if self._counted:
                self._filled = set(self._clear)  # until this run ends: a failed step leaves every table suspect
                filled = set(self._fact_clears)
                for sql, clear in zip(self._steps, self._step_clears):
                    before = db.total_changes
                    db.execute(sql)
                    if db.total_changes != before:
                        filled.add(clear)
                self._filled = filled
            else:
                for sql in self._steps:
                    db.execute(sql)
            rows = db.execute(self._report).fetchall()
        if self.dialect == "sqlite":
            rows = json.loads(rows[0][0])
        if codes is not None:  # each code's value: the kb's strings decoded once, this run's new ones now
            value = _Values(self._values)
            value.update((c, decode(codes.texts[c])) for c in new)
            return [(value[c], value[k], value[a], value[b], value[x]) for c, k, a, b, x in rows]
        value = _decode
        return [(c, value(k), value(a), value(b), value(x)) for c, k, a, b, x in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


_decode = functools.lru_cache(maxsize=1 << 16)(decode)


class _Values(dict):
    """The values of a coded run's codes: a string's from the codebook (the dict), a whole number's from its
    code (an even code is twice the number)."""

    def __missing__(self, code: int):
        if code % 2:
            raise KeyError(code)  # a string code the run never made: a bug, never a guess
        return code // 2


class SQLDecider:
    """Decisions asked of the kb compiled to SQL: SQLite for a few cases at once, DuckDB for many.

    Both databases run the same compiled rules (:mod:`laro_kb.engine.sql`); which one runs a call is a matter of
    speed alone, measured (docs/performance.md): SQLite starts in a millisecond and answers one case in a few,
    DuckDB takes about 0.3 s to start and then decides thousands of cases a second, set-at-a-time. Each database is
    built on first use."""

    name = "sql"
    MANY = 200  # cases at once from which DuckDB is faster than SQLite

    def __init__(self, source, cache=None):
        # () -> (the pyDatalog engine holding the kb's static predicates, materialized; the kb's statements; the rows
        # that materialization derived, by predicate): called only for a program that is not compiled yet
        self._source = source
        self._cache = cache  # a laro_kb.engine.cache.Entry: the programs compiled for this kb by earlier processes
        self._programs: dict[tuple[str, frozenset[str], bool], Optional[SQLProgram]] = {}
        self._databases: dict[tuple[str, frozenset[str], bool], Optional[SQLEngine]] = {}
        self._inherited: list[dict] = []  # the databases of the processes this one was forked from (forked())
        self._lock = threading.Lock()

    def program(self, dialect: str, omit: frozenset[str] = frozenset(), coded: bool = False) -> SQLProgram:
        """The compiled program for ``dialect`` (its static rows as the reference engine derived them), without the
        report rows of the kinds in ``omit``, its values coded as integers if ``coded``."""
        engine, statements, derived = self._source()
        return compile_sql(statements, static_rows(engine, statements, derived), dialect, omit=omit, coded=coded)

    def _compiled(self, key: tuple[str, frozenset[str], bool]) -> Optional[SQLProgram]:
        """The program for ``key``, compiled once (None: a coded one, when the kb has a value that cannot be
        coded), or read from the cache. Called with the lock held."""
        if key not in self._programs:
            cached = self._cache.program(key) if self._cache is not None else None
            if cached is not None:
                self._programs[key] = cached
                return cached
            try:
                self._programs[key] = self.program(*key)
            except NotCodable:
                self._programs[key] = None
            else:
                if self._cache is not None:
                    self._cache.save_program(key, self._programs[key])
        return self._programs[key]

    def database(self, dialect: str, omit: frozenset[str] = frozenset(), coded: bool = False) -> Optional[SQLEngine]:
        """The database for ``dialect`` (built on first use); None for a coded one when the kb has a value that
        cannot be coded."""
        key = (dialect, omit, coded)
        with self._lock:
            if key not in self._databases:
                prog = self._compiled(key)
                image = self._cache.image(key) if self._cache is not None and prog is not None else None
                db = None if prog is None else SQLEngine(prog, image)
                if db is not None and image is None and self._cache is not None:
                    built = db.image()
                    if built is not None:
                        self._cache.save_image(key, built)
                self._databases[key] = db
            return self._databases[key]

    def compile(self) -> None:
        self.database("sqlite")

    def prepare(self, omit: frozenset[str] = frozenset()) -> None:
        """Compile the program that decides many cases (without the report rows of the kinds in ``omit``) without
        opening a database: what processes forked from this one then share. (The SQLite program, for fewer than
        ``MANY`` cases at once, is compiled where it is first needed.)"""
        with self._lock:
            self._compiled(("duckdb", omit, True))
        import duckdb  # noqa: F401  (imported once here, not in every worker)

    def forked(self) -> None:
        """In a process forked from the one that built this decider: its databases belong to the parent and are
        never used here (SQLite must not cross a fork); this process opens its own from the compiled programs."""
        self._lock = threading.Lock()
        # the parent's databases are kept, unused and never closed, for as long as this process lives: freeing a
        # DuckDB connection in a forked child (whose copy of DuckDB has none of its threads) crashes the process
        self._inherited.append(self._databases)
        self._databases = {}

    def report(self, facts: list[tuple], case_ids: list[str], omit: frozenset[str] = frozenset()) -> list[tuple]:
        """The report rows of the cases (without those of the kinds in ``omit``, which are then not derived)."""
        if len(case_ids) < self.MANY:
            return self.database("sqlite", omit).report(facts)
        coded = self.database("duckdb", omit, coded=True)
        if coded is not None:
            try:
                return coded.report(facts)
            except NotCodable:  # a case value that is no whole number: the tagged program takes this run
                pass
        return self.database("duckdb", omit).report(facts)


def static_rows(engine, statements: list[Statement],
                derived: Optional[dict[str, list[tuple]]] = None) -> dict[str, list[tuple]]:
    """The rows of the static predicates the SQL program reads, as the pyDatalog engine holds them after
    materialization: the facts of a predicate that no rule defines as they are stated (each once, in the kb's
    order), and the rows of the others as materialization derived them (``derived``) or, failing that, asked of
    the engine, sorted."""
    derived = derived or {}
    ruled = {st.head.key for st in statements if isinstance(st, Rule)}
    facts: dict[str, dict[tuple, None]] = {}
    for st in statements:
        if isinstance(st, Fact):
            facts.setdefault(st.atom.key, {})[tuple(a.value for a in st.atom.args)] = None
    out = {}
    for key in static_inputs(statements):
        if key not in ruled:
            out[key] = list(facts.get(key, ()))
        else:  # in an order of their own (pyDatalog's varies from process to process), so the program is stable
            rows = derived[key] if key in derived else engine.rows(key)
            out[key] = sorted(rows, key=lambda row: tuple(map(encode, row)))
    return out


__all__ = ["SQLEngine", "SQLDecider", "static_rows", "forkable"]
