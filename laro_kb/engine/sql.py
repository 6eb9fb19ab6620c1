"""The kb compiled to SQL: the rules loaded from kb/, evaluated set-at-a-time by a SQL database.

Nothing here names a criterion, a pathway or a field. The compiler reads the parsed statements of the kb (the same
values the pyDatalog engine is built from) and the rows of its static predicates (those that never read a patient
fact, as the pyDatalog engine derived them at load time, see :mod:`laro_kb.engine.materialize`), and writes:

- one table per predicate, with columns ``c0`` .. ``cN``;
- the static predicates as rows, loaded once;
- the patient facts ``case/1``, ``val/3`` and ``known/2`` as three fact tables, many cases at once, the case id a
  column; rows go in only as query parameters, never as SQL text;
- one ``INSERT INTO ... SELECT`` per dynamic predicate (a UNION of one SELECT per rule), in dependency order: a
  positive literal is a join, a negated one ``NOT EXISTS``, a comparison a condition.

**Values.** pyDatalog compares Python values: ``1 == 1.0 == True``, and numbers and strings are never equal. A SQL
column holds one type, so every value is text with a tag: ``'s'`` and the string, or ``'n'`` and the number's
canonical form (``n18``; ``True`` is ``n1``, as ``True == 1`` in Python). Equality of tagged text is then Python's
equality, and a comparison ``(X >= B)`` compares the numbers of two ``n`` values, or two strings.

**Recursion.** ``kb/logic.dl`` is recursive over the criterion tree: an ``any_`` criterion holds when one of its
parts holds, and it fails through a negation (``~any_open``). That is not stratified predicate by predicate, but it
is stratified by criterion: every recursive call either keeps the criterion (the same key) or goes down to a part
of it, or to the source or blocker of its derivation, through a static relation (``any_(K, S)``, ``part(K, S)``,
``implied(K, S)``, ``unless(K, B)``) that has no cycle. The compiler proves this for
each recursive component (it finds the key argument of each predicate and the static relations that descend), ranks
the keys by their height in those relations, and evaluates the component level by level, leaves first: the standard
evaluation of a locally stratified program. A recursion it cannot prove that way is a :class:`KBError` naming the
rules, never a silent difference.

**Rewrites.** Before writing SQL, the compiler folds a predicate that one rule alone reads (or a filter, whose rule
binds nothing but its head) into its readers, writes a predicate read only in negations as ``NOT EXISTS`` of its
one rule, and joins each group of a rule's kb literals that share variables into a table at compile time. Each
keeps the rows and saves SQLite a stored table, a step or a chain of lookups a case (:meth:`_Compiler.unfold`,
:meth:`_Compiler.choose_inline`, :meth:`_Compiler.prejoin`).

**Three-valued logic** needs nothing special: met, not met and unknown are the ``holds``, ``fails`` and ``unknown``
predicates of ``logic.dl``, and their rules are translated as written.

``tests/engine/test_sql.py`` holds the result to the pyDatalog engine, decision for decision.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Iterable, Optional

from ..errors import KBError
from ..knowledge.program import Atom, Comparison, Const, Fact, Rule, Statement, Var, strongly_connected
from .materialize import PATIENT_PREDICATES, static_predicates

FACT_TABLES = {"case/1": 1, "val/3": 3, "known/2": 2}
REPORT = "report/5"
DEMAND = "demand_"  # the prefix of the demand predicates the compiler adds (a kb may not use it)
LEVEL = "@"  # in the name of a static table holding one level's rows of a static predicate (any_@2)


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL databases laro-kb writes for."""

    name: str
    text: str  # the column type
    number: str  # SQL for the number in a tagged value ``{x}``
    indexes: bool  # whether indexes pay (a row store) or not (a column store)
    tested: bool = True
    # the patient and derived tables are sets: each has a primary key over all its columns (a clustered index, no
    # rowid), and a step inserts with INSERT OR IGNORE, so its SELECTs need no DISTINCT and no UNION to drop repeats
    # (SQLite builds a temporary B-tree for each); the key also serves the lookups an index on (c0, c1) served
    keyed: bool = False
    coded: bool = False  # values are BIGINT codes of a Codebook, not tagged text
    is_number: str = "substr({x}, 1, 1) = 'n'"  # SQL: the value ``{x}`` is a number
    is_string: str = "substr({x}, 1, 1) = 's'"
    string: str = "{x}"  # SQL for the tagged text of a string value, which orders as the strings do

    def num(self, expr: str) -> str:
        return self.number.format(x=expr)

    @property
    def insert(self) -> str:
        """How rows are added to a patient or derived table: into a keyed one (a set), ignoring those it has."""
        return "INSERT OR IGNORE INTO" if self.keyed else "INSERT INTO"


DIALECTS = {
    "sqlite": Dialect("sqlite", "TEXT", "CAST(substr({x}, 2) AS REAL)", indexes=True, keyed=True),
    "duckdb": Dialect("duckdb", "VARCHAR", "TRY_CAST(substr({x}, 2) AS DOUBLE)", indexes=False),
    "postgres": Dialect("postgres", "TEXT",
                        "(CASE WHEN substr({x}, 1, 1) = 'n' THEN CAST(substr({x}, 2) AS DOUBLE PRECISION) END)",
                        indexes=True, tested=False),
}
TEXT = "text/2"  # the table of a coded program that gives each string code its tagged text
# The engine's DuckDB program: values as integer codes, which DuckDB joins about twice as fast as text. Not a dialect
# to print (a script's values must mean something without the codebook), so not in DIALECTS.
CODED_DUCKDB = Dialect("duckdb", "BIGINT", "({x} // 2)", indexes=False, coded=True, is_number="{x} % 2 = 0",
                       is_string="{x} % 2 = 1", string=f'(SELECT c1 FROM "p_text_2" WHERE c0 = {{x}})')


class NotCodable(ValueError):
    """A value that a Codebook cannot code (a number that is not a whole number of at most 60 bits)."""


class Codebook:
    """Tagged values as BIGINT codes: a whole number n is 2n (so numbers compare as numbers, halved), a string an
    odd number given out in order. Equal tagged values get equal codes, so equality is still Python's. The codes of
    the kb's values are fixed when the program is compiled; :meth:`run` codes a run's new strings apart."""

    LIMIT = 1 << 60

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.texts: dict[int, str] = {}

    def code(self, tagged: str) -> int:
        if tagged[0] == "n":
            number = tagged[1:]
            if not number.lstrip("-").isdigit() or abs(int(number)) >= self.LIMIT:
                raise NotCodable(f"{number} is not a whole number of at most 60 bits")
            return 2 * int(number)
        found = self.codes.get(tagged)
        if found is None:
            found = self.codes[tagged] = 2 * len(self.codes) + 1
            self.texts[found] = tagged
        return found

    def code_value(self, value) -> int:
        """The code of a Python value: :meth:`code` of its :func:`encode`, with a shortcut for strings and whole
        numbers (a batch codes every fact value of every case)."""
        kind = type(value)
        if kind is str:
            found = self.codes.get("s" + value)
            return found if found is not None else self.code("s" + value)
        if (kind is int or kind is bool) and abs(value) < self.LIMIT:
            return 2 * int(value)
        return self.code(encode(value))

    def literal(self, tagged: str) -> str:
        return str(self.code(tagged))

    def run(self) -> "Codebook":
        """A codebook for one run: the kb's codes, and codes for new strings after them, forgotten with it."""
        child = Codebook()
        child.codes, child.texts = dict(self.codes), dict(self.texts)
        return child

    def value(self, code: int):
        """The Python value of a code."""
        return code // 2 if code % 2 == 0 else decode(self.texts[code])


# -- values ---------------------------------------------------------------------------------------------------------
def encode(value) -> str:
    """A Python value as tagged text: ``'s'`` + a string, ``'n'`` + a number in canonical form."""
    if isinstance(value, str):
        return "s" + value
    if isinstance(value, bool):
        return "n1" if value else "n0"
    if isinstance(value, int):
        return f"n{value}"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return f"n{int(value)}" if value.is_integer() else f"n{value!r}"
    raise ValueError(f"{value!r} is neither text nor a number")


def decode(text: str):
    """The Python value of tagged text (a whole number comes back as an int)."""
    if text[0] == "s":
        return text[1:]
    number = text[1:]
    return int(number) if number.lstrip("-").isdigit() else float(number)


def quote(text: str) -> str:
    """A SQL string literal (only ever for kb text: case data goes in as parameters)."""
    return "'" + text.replace("'", "''") + "'"


def table(key: str) -> str:
    name, arity = key.rsplit("/", 1)
    return f'"p_{name}_{arity}"'


def arity(key: str) -> int:
    return int(key.rsplit("/", 1)[1])


# -- the program ----------------------------------------------------------------------------------------------------
@dataclass
class SQLProgram:
    """The compiled program for one dialect: table layout, static rows, and the statements that decide."""

    dialect: Dialect
    static: dict[str, list[tuple[str, ...]]]  # key -> encoded rows
    dynamic: list[str]  # dynamic predicate keys, in the order they are computed
    steps: list[tuple[str, str]] = field(default_factory=list)  # (key, INSERT ... SELECT), in order
    demands: set[str] = field(default_factory=set)  # predicates joined into others' rules as demand filters
    query: str = ""  # the SELECT of the report, when nothing reads it (so it need not be stored)
    codebook: Optional[Codebook] = None  # the codes of the kb's values, for a coded dialect

    def rows(self, key: str) -> list[tuple]:
        """The static rows of ``key`` as the database holds them: tagged text, or codes."""
        if self.codebook is None:
            return self.static[key]
        code = self.codebook.code
        return [tuple(code(v) for v in row) for row in self.static[key]]

    @property
    def tables(self) -> list[str]:
        return list(self.static) + list(FACT_TABLES) + self.dynamic + ([TEXT] if self.dialect.coded else [])

    @property
    def per_case(self) -> list[str]:
        """The tables a run fills: the patient facts and every derived predicate."""
        return list(FACT_TABLES) + self.dynamic

    def create_statements(self) -> list[str]:
        out = []
        keyed = set(self.per_case) if self.dialect.keyed else set()
        for key in self.tables:
            types = [self.dialect.text, "VARCHAR"] if key == TEXT else [self.dialect.text] * arity(key)
            cols = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
            if key in keyed:
                out.append(f"CREATE TABLE {table(key)} ({cols}, PRIMARY KEY "
                           f"({', '.join(f'c{i}' for i in range(len(types)))})) WITHOUT ROWID")
            else:
                out.append(f"CREATE TABLE {table(key)} ({cols})")
        return out

    def index_statements(self) -> list[str]:
        """Indexes for a row store: each static column, and the case id with the next column of each patient table
        (which a keyed table's primary key already is)."""
        if not self.dialect.indexes:
            return []
        out = []
        for key in self.static:
            for i in range(arity(key)):
                out.append(f'CREATE INDEX "i_{key.replace("/", "_")}_{i}" ON {table(key)} (c{i})')
        for key in [] if self.dialect.keyed else self.per_case:
            cols = ", ".join(f"c{i}" for i in range(min(arity(key), 2)))
            out.append(f'CREATE INDEX "i_{key.replace("/", "_")}" ON {table(key)} ({cols})')
        return out

    def clear_statements(self) -> list[str]:
        return [f"DELETE FROM {table(key)}" for key in self.per_case]

    def to_json(self) -> dict:
        """The program as JSON data (laro_kb.engine.cache keeps it): :meth:`from_json` gives it back, equal."""
        return {"dialect": self.dialect.name, "coded": self.dialect.coded, "static": self.static,
                "dynamic": self.dynamic, "steps": self.steps, "demands": sorted(self.demands), "query": self.query,
                "codes": None if self.codebook is None else self.codebook.codes}

    @classmethod
    def from_json(cls, data: dict) -> "SQLProgram":
        dialect = CODED_DUCKDB if data["coded"] and data["dialect"] == "duckdb" else DIALECTS[data["dialect"]]
        codebook = None
        if data["codes"] is not None:
            codebook = Codebook()
            codebook.codes = {str(t): int(c) for t, c in data["codes"].items()}
            codebook.texts = {c: t for t, c in codebook.codes.items()}
        return cls(dialect, {str(k): [tuple(map(str, r)) for r in rows] for k, rows in data["static"].items()},
                   [str(k) for k in data["dynamic"]], [(str(k), str(q)) for k, q in data["steps"]],
                   set(map(str, data["demands"])), str(data["query"]), codebook)

    def script(self) -> str:
        """The whole program as one SQL script, in four parts: the schema, the kb's rows, the steps that decide
        (run them once the patient facts are loaded), and the statements that empty the tables for the next run."""
        if self.dialect.coded:
            raise KBError("a coded program's values mean nothing without its codebook; print a dialect's script")
        tested = "" if self.dialect.tested else " (written like the others, but untested)"
        lines = [f"-- laro-kb decision program for {self.dialect.name}{tested}, compiled from kb/ (docs/scale.md).",
                 "-- Values are tagged text: 's' + a string, 'n' + a number (n18; true is n1, false n0).",
                 "", "-- == schema ==", *(s + ";" for s in self.create_statements()),
                 *(s + ";" for s in self.index_statements()), "", "-- == kb rows =="]
        for key, rows in self.static.items():
            for start in range(0, len(rows), 500):
                values = ",\n  ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in rows[start:start + 500])
                lines.append(f"INSERT INTO {table(key)} VALUES\n  {values};")
        keyed = ("; each of those tables is a set (a primary key over all its columns): load with INSERT OR "
                 "IGNORE" if self.dialect.keyed else "")
        lines += ["", "-- == decide: load the cases into p_case_1, p_val_3 and p_known_2, then run these; the "
                  f"answer is p_report_5{keyed} =="]
        for key, sql in self.steps:
            lines += [f"-- {key}", sql + ";"]
        if self.query:
            lines += [f"-- {REPORT}", f"{self.dialect.insert} {table(REPORT)}\n{self.query};"]
        lines += ["", "-- == reset: empty the patient and derived tables before the next cases =="]
        lines += [s + ";" for s in self.clear_statements()]
        return "\n".join(lines) + "\n"


def compile_sql(statements: list[Statement], static_rows: dict[str, list[tuple]], dialect: str = "sqlite",
                report: str = REPORT, omit: frozenset[str] = frozenset(),
                coded: bool = False) -> SQLProgram:
    """Compile the kb's rules for ``dialect``; ``static_rows`` gives the rows of every static predicate by key.

    ``omit`` names kinds of report row (the constant second argument of a report rule, ``'status'`` say) to leave
    out: their rules are dropped, and with them every predicate only they read. The other rows are the same.

    ``coded`` (DuckDB only) writes values as integer codes (:class:`Codebook`); a kb value that cannot be coded
    raises :class:`NotCodable`."""
    if dialect not in DIALECTS:
        raise KBError(f"no SQL dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    if coded and dialect != "duckdb":
        raise KBError(f"coded values are for DuckDB, not {dialect}")
    return _Compiler(statements, static_rows, CODED_DUCKDB if coded else DIALECTS[dialect]).compile(report, omit)


def report_kind(rule: Rule) -> Optional[str]:
    """The kind of row a report rule derives: its second argument, when that is a constant string."""
    kind = rule.head.args[1] if len(rule.head.args) > 1 else None
    return kind.value if isinstance(kind, Const) and isinstance(kind.value, str) else None


def static_keys(statements: list[Statement]) -> set[str]:
    """Every predicate the kb defines without reading patient facts: its facts, and its static rules' heads."""
    keys = {st.atom.key for st in statements if isinstance(st, Fact)}
    return (keys | static_predicates(statements)) - PATIENT_PREDICATES


def static_inputs(statements: list[Statement]) -> list[str]:
    """The static predicates that the dynamic rules read: the rows the SQL program needs from the kb."""
    static = static_keys(statements)
    dynamic = {st.head.key for st in statements if isinstance(st, Rule)} - static
    return sorted({b.key for st in statements if isinstance(st, Rule) and st.head.key in dynamic
                   for b in st.body if isinstance(b, Atom)} - dynamic - PATIENT_PREDICATES)


class _Compiler:
    def __init__(self, statements: list[Statement], static_rows: dict[str, list[tuple]], dialect: Dialect):
        self.d = dialect
        self.codebook = Codebook() if dialect.coded else None
        self.lit = self.codebook.literal if self.codebook else quote  # a tagged value as an SQL literal
        static = static_keys(statements)
        self.rules: dict[str, list[Rule]] = {}
        for st in statements:
            if isinstance(st, Rule) and st.head.key not in static:
                if st.head.key in PATIENT_PREDICATES:
                    raise KBError(f"a rule defines the patient fact {st.head.key}, which only a case may assert",
                                  file=st.file, line=st.line)
                self.rules.setdefault(st.head.key, []).append(st)
        self.static_rows = {k: [tuple("s" + v if type(v) is str else encode(v) for v in row)
                                for row in static_rows.get(k, [])] for k in static_inputs(statements)}
        self._possible: dict[tuple[int, int], Optional[set[str]]] = {}
        self._levels_cache: dict[tuple, dict[str, int]] = {}
        self._level_tables: dict[tuple, str] = {}  # (static key, its keys at a level) -> the level table
        self._joined: dict[tuple, str] = {}  # (predicates, arity, rows) -> a group of kb literals' table
        self.inline: set[str] = set()  # predicates read only in negations, written as NOT EXISTS (choose_inline)
        self._join_memo: dict[tuple, set] = {}  # (literals, variables) -> their rows (prejoin)
        reserved = sorted({st.head.key if isinstance(st, Rule) else st.atom.key for st in statements
                           if (st.head if isinstance(st, Rule) else st.atom).pred.startswith(DEMAND)})
        if reserved:
            raise KBError(f"the predicate names {', '.join(reserved)} are reserved for the SQL compiler "
                          f"(prefix {DEMAND})")

    # -- dependency order -----------------------------------------------------------------------------------------
    def components(self) -> list[list[str]]:
        """Strongly connected components of the dynamic predicates, each after those it reads (Tarjan)."""
        return strongly_connected(self._reads())

    def compile(self, report: str, omit: frozenset[str] = frozenset()) -> SQLProgram:
        if report not in self.rules:
            raise KBError(f"the kb defines no {report} rule: nothing to report a decision from")
        self.rules[report] = [r for r in self.rules[report] if not report_kind(r) in omit]
        self.drop_unreachable(report)
        self.unfold(report)
        self.choose_inline(report)
        self.add_demand(report)
        prog = SQLProgram(self.d, self.static_rows, [], demands={d for d, _ in self.demand.values()},
                          codebook=self.codebook)
        for comp in self.components():
            recursive = len(comp) > 1 or self._reads_itself(comp[0])
            prog.dynamic.extend(k for k in comp if k not in self.inline)
            if (comp[0] in self.inline or not self.rules[comp[0]]) and not recursive:
                continue  # written where it is read, or left with no rule by folding (an empty table)
            if comp == [report] and not self._occurrences(report):
                prog.query = self.union([(r, None) for r in self.rules[report]], dedup=True)  # asked, not stored
            elif not recursive:
                prog.steps.append((comp[0], self.insert(comp[0])))
            else:
                prog.steps.extend(self.recursive(comp))
        return prog

    def drop_unreachable(self, report: str) -> None:
        """Keep only the predicates the report reads, directly or not (``needs/3``, say, is there for people)."""
        reach, todo = set(), [report]
        while todo:
            key = todo.pop()
            if key in reach or key not in self.rules:
                continue
            reach.add(key)
            todo.extend(b.key for r in self.rules[key] for b in r.body if isinstance(b, Atom))
        self.rules = {k: v for k, v in self.rules.items() if k in reach}

    # -- unfolding ----------------------------------------------------------------------------------------------
    def unfold(self, report: str) -> None:
        """Fold a predicate into the rules that read it (unfolding): a reader gets one rule per rule of the
        predicate, its literal replaced by that rule's body, and the predicate gets no table. The rows are the same,
        as a rule's literal means "some rule of the predicate holds"; what goes is storing them and reading them
        back (a SQLite step costs about a microsecond a row it writes). Folded are a predicate that one positive
        literal reads (``holds_by/3``, which only ``holds/2`` reads), and a filter read only in positive literals:
        one rule whose positive literals bind no variable but its head's (``unknown(C, K)``: a criterion of a case
        that neither holds nor fails), which costs its readers a few lookups and saves a table and its demand. A
        predicate that reads itself, and the report and what it reads directly, stay."""
        fresh = itertools.count()
        while True:
            for key in sorted(self.rules):
                uses = self._occurrences(key)
                rules = self.rules[key]
                if (key == report or not uses or any(lit.negated or r.head.key in (key, report) for r, lit in uses)
                        or self._reads_itself(key)):
                    continue
                if len(uses) > 1 and not (len(rules) == 1 and _filter(rules[0])):
                    continue
                while uses:
                    reader, lit = uses[0]
                    if not all(map(_in_order, [reader, *rules])):
                        break  # a rule the compiler refuses: left as it is, to be refused as written
                    folded = [_unfolded(reader, lit, r, next(fresh)) for r in rules]
                    if any(u is False for u in folded):
                        break  # a head that repeats a variable: left as it is
                    self.rules[reader.head.key] = [f for r in self.rules[reader.head.key]
                                                   for f in ([u for u in folded if u] if r is reader else [r])]
                    uses = self._occurrences(key)
                if not uses:
                    del self.rules[key]
                    break
            else:
                return

    def choose_inline(self, report: str) -> None:
        """The predicates read only in negations, defined by one rule that does not read them: each negation of one
        becomes ``NOT EXISTS`` of that rule's body (``~any_open(C, K)``: no part of K that has not failed), so
        the predicate is never stored (``any_open/2`` held a row for most criteria of a case)."""
        self.inline = set()
        for key, rules in self.rules.items():
            uses = self._occurrences(key)
            if (key != report and len(rules) == 1 and uses and all(lit.negated for _, lit in uses)
                    and not self._reads_itself(key)):
                self.inline.add(key)

    # -- demand -------------------------------------------------------------------------------------------------
    def add_demand(self, report: str) -> None:
        """Derive only the rows of each predicate that some rule can use: magic sets, in a light form.

        ``logic.dl`` is written for a top-down engine, which asks only for what a decision needs; evaluated bottom
        up as written, it would derive every criterion's status on every pathway for every case. So, consumers
        first, each predicate ``p`` gets a demand predicate ``demand_p``: for each rule that reads ``p``, the
        other literals of that rule (those that do not depend on ``p``), and the consumer's own demand, projected
        on the columns of ``p`` they bind. ``demand_p`` is joined into the rules of ``p``. A row of ``p`` outside
        it can change no answer, so nothing changes but the work: ``status`` is derived for the candidate
        pathways' criteria, ``missing`` for the pending ones'. Where an earlier demand reads ``p`` itself, it is
        weakened (those literals dropped) so that ``p`` can have one; a demand is never a cycle."""
        self.demand: dict[str, tuple[str, tuple[int, ...]]] = {}  # p -> (demand key, p's columns)
        for comp in reversed(self.components()):
            if len(comp) == 1 and comp[0] not in (report, *self.inline) and not comp[0].startswith(DEMAND):
                self._demand_for(comp[0])

    def _demand_for(self, key: str) -> None:
        depends = self._closure()
        for rule, lit in self._occurrences(key):  # make room: a consumer's demand must not read p
            head = rule.head.key
            if head in self.demand and key in depends.get(self.demand[head][0], set()):
                self._weaken(self.demand[head][0], key, depends)
                depends = self._closure()
        bodies = []
        for rule, lit in self._occurrences(key):
            kept: list = []
            head = rule.head.key
            if head == key or (head in self.demand and key not in depends.get(self.demand[head][0], set())):
                dkey, cols = self.demand.get(head, (None, ()))
                if head == key:
                    dkey = None  # p's own demand, being made: added below once its columns are known
                if dkey:
                    kept.append(Atom(_name(dkey), tuple(rule.head.args[i] for i in cols)))
            for b in rule.body:
                if b is lit or (isinstance(b, Atom) and (b.key == key or key in depends.get(b.key, set()))):
                    continue
                kept.append(b)
            kept = _safe(list(dict.fromkeys(kept)), rule.body)
            bound = {a.name for b in kept if isinstance(b, Atom) and not b.negated for a in b.args if isinstance(a, Var)}
            cols = {i for i, a in enumerate(lit.args) if isinstance(a, Var) and a.name in bound}
            bodies.append((rule, lit, kept, cols))
        if not bodies:
            return
        common = tuple(sorted(set.intersection(*(c for _, _, _, c in bodies))))
        if not common:
            return
        dkey = f"{DEMAND}{_name(key)}/{len(common)}"
        drules = []
        for rule, lit, kept, _ in bodies:
            body = list(kept)
            if rule.head.key == key:  # the demand of a recursive call: from the caller's own demand
                body.insert(0, Atom(_name(dkey), tuple(rule.head.args[i] for i in common)))
            drules.append(Rule(Atom(_name(dkey), tuple(lit.args[i] for i in common)), tuple(body), rule.file,
                               rule.line))
        if all(len(r.body) == 1 and isinstance(r.body[0], Atom) and not r.body[0].negated
               and r.body[0].args == r.head.args for r in drules) and len({r.body[0].key for r in drules}) == 1:
            filt = drules[0].body[0]  # the demand is one literal as it stands: join that literal directly
            self.rules[key] = [Rule(r.head, r.body + (Atom(filt.pred, tuple(r.head.args[i] for i in common)),),
                                    r.file, r.line) for r in self.rules[key]]
            self.demand[key] = (filt.key, common)
            return
        self.rules[dkey] = drules
        self.rules[key] = [Rule(r.head, r.body + (Atom(_name(dkey), tuple(r.head.args[i] for i in common)),),
                                r.file, r.line) for r in self.rules[key]]
        self.demand[key] = (dkey, common)

    def _weaken(self, dkey: str, key: str, depends: dict[str, set[str]]) -> None:
        """Drop from the rules of ``dkey`` the literals that depend on ``key``, if each rule stays safe."""
        if dkey not in self.rules or not dkey.startswith(DEMAND):
            return
        weakened = []
        for r in self.rules[dkey]:
            body = _safe([b for b in r.body if not (isinstance(b, Atom) and b.key != dkey
                                                    and (b.key == key or key in depends.get(b.key, set())))],
                         r.body)
            bound = {a.name for b in body if isinstance(b, Atom) and not b.negated for a in b.args
                     if isinstance(a, Var)}
            if not all(isinstance(a, Const) or a.name in bound for a in r.head.args):
                return
            weakened.append(Rule(r.head, tuple(body), r.file, r.line))
        self.rules[dkey] = weakened

    def _reads_itself(self, key: str) -> bool:
        """Whether a rule of ``key`` reads ``key`` (a recursion of one predicate)."""
        return any(isinstance(b, Atom) and b.key == key for r in self.rules[key] for b in r.body)

    def _occurrences(self, key: str) -> list[tuple[Rule, Atom]]:
        return [(r, b) for rules in self.rules.values() for r in rules for b in r.body
                if isinstance(b, Atom) and b.key == key]

    def _reads(self) -> dict[str, set[str]]:
        """For each dynamic predicate, the dynamic predicates its rules read directly."""
        return {k: {b.key for r in rules for b in r.body if isinstance(b, Atom) and b.key in self.rules}
                for k, rules in self.rules.items()}

    def _closure(self) -> dict[str, set[str]]:
        """For each dynamic predicate, every dynamic predicate it reads, directly or not."""
        closure = self._reads()
        changed = True
        while changed:
            changed = False
            for k in closure:
                extra = set().union(*(closure[d] for d in closure[k])) - closure[k]
                if extra:
                    closure[k] |= extra
                    changed = True
        return closure

    # -- one predicate --------------------------------------------------------------------------------------------
    def insert(self, key: str) -> str:
        return f"{self.d.insert} {table(key)}\n" + self.union([(r, None) for r in self.rules[key]])

    def union(self, parts: list, dedup: Optional[bool] = None) -> str:
        """The SELECTs of ``(rule, restrict)`` parts as one query with set semantics, deduplicating only where rows
        can repeat: a SELECT is DISTINCT when its body has a variable that its head does not keep, SELECTs whose
        heads differ by a constant (no row can be in two) are joined by UNION ALL, and the others by UNION. Into a
        keyed table (``dedup`` False, the default for a keyed dialect), the table drops repeats: all UNION ALL."""
        if not (self.d.keyed is False if dedup is None else dedup):
            return "\nUNION ALL\n".join(self.select(r, restrict, distinct=False) for r, restrict in parts)
        selects = [self.select(r, restrict, distinct=_existential(r)) for r, restrict in parts]
        heads = [r.head.args for r, _ in parts]
        groups: list[list[int]] = []  # SELECTs whose rows may meet, transitively: deduplicated among themselves
        for i, head in enumerate(heads):
            meet = [g for g in groups if any(not _differ(head, heads[j]) for j in g)]
            groups = [g for g in groups if g not in meet] + [sum(meet, []) + [i]]
        if len(groups) == 1 and len(parts) > 1:
            return "\nUNION\n".join(selects)
        return "\nUNION ALL\n".join(selects[g[0]] if len(g) == 1 else
                                      "SELECT * FROM (\n" + "\nUNION\n".join(selects[j] for j in sorted(g))
                                      + f"\n) AS u{n}" for n, g in enumerate(sorted(groups)))

    def prejoin(self, rule: Rule) -> Rule:
        """``rule`` with each group of its positive kb literals that share variables joined now, once, into a table
        of its own (``form+reads+kind_of+is_/3``), holding the values of the group's variables that the rest of the
        rule reads: the same rows, as the kb's rows never change, and one lookup a patient row instead of a chain
        of them, which the database need not plan (SQLite's estimates for a chain of small tables are often far
        off). A group whose variables nothing else reads stays as it is."""
        body = list(rule.body)
        groups: list[tuple[list[int], set[str]]] = []
        for i, b in enumerate(body):
            if isinstance(b, Atom) and not b.negated and b.key in self.static_rows:
                names = {a.name for a in b.args if isinstance(a, Var)}
                meet = [g for g in groups if g[1] & names]
                groups = [g for g in groups if g not in meet]
                groups.append((sorted(sum((g[0] for g in meet), [i])), names.union(*(g[1] for g in meet))))
        done = False
        for positions, names in groups:
            if len(positions) < 2:
                continue
            outside = [rule.head] + [b for i, b in enumerate(body) if i not in positions]
            used = {t.name for b in outside for t in b.terms if isinstance(t, Var)}
            cols = [n for n in dict.fromkeys(a.name for i in positions for a in body[i].args if isinstance(a, Var))
                    if n in used]
            if not cols:
                continue
            lits = [body[i] for i in positions]
            memo = (tuple(lits), tuple(cols))  # the same group recurs (a rule at each level of a recursion, say)
            if memo not in self._join_memo:
                self._join_memo[memo] = self._join(lits, cols)
            rows = self._join_memo[memo]
            name = "+".join(dict.fromkeys(lit.pred for lit in lits))
            pred = self._joined.get((name, len(cols), frozenset(rows)))  # no rows at all have every arity
            if pred is None:
                pred = name
                while f"{pred}/{len(cols)}" in self.static_rows:
                    pred += "_"
                self._joined[(name, len(cols), frozenset(rows))] = pred
                self.static_rows[f"{pred}/{len(cols)}"] = sorted(rows)
            body[positions[0]] = Atom(pred, tuple(Var(n) for n in cols))
            for i in positions[1:]:
                body[i] = None
            done = True
        if not done:
            return rule
        return Rule(rule.head, tuple(b for b in body if b is not None), rule.file, rule.line)

    def _join(self, lits: list[Atom], cols: list[str]) -> set[tuple[str, ...]]:
        """The values of the variables ``cols`` for which every literal of ``lits`` (kb literals) has a row: a hash
        join, each next literal one that shares a variable with those joined (the fewest rows first), keeping only
        the variables that the literals left or ``cols`` read."""
        def names(lit: Atom) -> set[str]:
            return {a.name for a in lit.args if isinstance(a, Var)}

        def rows(lit: Atom) -> list[tuple[str, ...]]:
            consts = [(i, encode(a.value)) for i, a in enumerate(lit.args) if isinstance(a, Const)]
            return [row for row in self.static_rows[lit.key] if all(row[i] == v for i, v in consts)]

        candidates = {id(lit): rows(lit) for lit in lits}
        found: list[dict[str, str]] = [{}]
        bound: set[str] = set()
        left = list(lits)
        while left:
            lit = min(left, key=lambda x: (bool(bound) and not names(x) & bound, len(candidates[id(x)])))
            left.remove(lit)
            shared = sorted(names(lit) & bound)
            index: dict[tuple, list] = {}
            for row in candidates[id(lit)]:
                values = {}
                for a, v in zip(lit.args, row):
                    if isinstance(a, Var) and values.setdefault(a.name, v) != v:
                        break  # a variable twice in the literal, with two values
                else:
                    index.setdefault(tuple(values[n] for n in shared), []).append(values)
            bound |= names(lit)
            keep = sorted(n for n in set(cols).union(*(names(x) for x in left)) if n in bound)
            out: dict[tuple, dict[str, str]] = {}
            for b in found:
                for values in index.get(tuple(b[n] for n in shared), ()):
                    merged = b | values
                    row = tuple(merged[n] for n in keep)
                    if row not in out:
                        out[row] = dict(zip(keep, row))
            found = list(out.values())
        return {tuple(b[n] for n in cols) for b in found}

    def select(self, rule: Rule, restrict=None, distinct: bool = True) -> str:
        """One rule as a SELECT; ``restrict(head_key_sql)`` adds a condition on the head's key (for levels)."""
        rule = self.prejoin(rule)
        binds: dict[str, str] = {}
        froms, where = self._body(rule, binds, "t")
        head = []
        for i, arg in enumerate(rule.head.args):
            if isinstance(arg, Const):
                head.append(self.const(arg.value, rule))
            elif arg.name in binds:
                head.append(binds[arg.name])
            else:
                raise KBError(f"the head variable {arg.name} is bound by no positive literal of the body",
                              file=rule.file, line=rule.line)
        if restrict is not None:
            where.append(restrict(head))
        if not froms:
            froms.append("(SELECT 1 AS one) AS t")
        sql = (f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(h + f' AS c{i}' for i, h in enumerate(head))}"
               f"\nFROM {', '.join(froms)}")
        return sql + (f"\nWHERE {' AND '.join(where)}" if where else "")

    def _body(self, rule: Rule, binds: dict[str, str], prefix: str) -> tuple[list[str], list[str]]:
        """The FROM items and WHERE conditions of ``rule``'s body, its tables named ``{prefix}{n}``; ``binds`` (a
        variable -> its SQL) is filled in, and may come with variables bound outside (an inlined rule's head)."""
        kinds: dict[str, set[str]] = {}  # variable -> the tags its values can have, where a static literal binds it
        froms: list[str] = []
        where: list[str] = []
        later = _later_vars(rule)
        for n, lit in enumerate(rule.body):
            if isinstance(lit, Comparison):
                where.append(self.comparison(lit, binds, rule, kinds))
                continue
            alias = f"{prefix}{n}"
            if lit.negated and lit.key in self.inline:
                where.append("NOT " + self._exists(lit, rule, binds, alias, later[n]))
            elif lit.negated:  # its new variables are its own (don't-cares); a later-bound one is refused
                conds: list[str] = []
                self._match(alias, lit, rule, binds, {}, conds, later[n])
                cond = " AND ".join(conds) if conds else "1 = 1"
                where.append(f"NOT EXISTS (SELECT 1 FROM {table(lit.key)} AS {alias} WHERE {cond})")
            else:
                froms.append(f"{table(lit.key)} AS {alias}")
                fresh = {a.name for a in lit.args if isinstance(a, Var)} - set(binds)
                self._match(alias, lit, rule, binds, binds, where)
                for i, a in enumerate(lit.args):
                    if isinstance(a, Var) and a.name in fresh and lit.key in self.static_rows:
                        kinds[a.name] = {row[i][0] for row in self.static_rows[lit.key]}
        return froms, where

    def _exists(self, lit: Atom, rule: Rule, binds: dict[str, str], alias: str, later: set[str]) -> str:
        """``EXISTS`` of the one rule of ``lit``'s predicate (an inlined predicate, which has no table), its head
        tied to the terms of ``lit``: a variable that ``lit`` alone has is a don't-care, as in a negation."""
        inner = self.prejoin(self.rules[lit.key][0])
        pre: dict[str, str] = {}
        conds: list[str] = []
        first: dict[str, object] = {}  # a don't-care of ``lit`` -> the head's term where it first stands
        ties = []  # (term, term) of the head that a don't-care repeated in ``lit`` makes equal
        for h, a in zip(inner.head.args, lit.args):
            if isinstance(a, Const):
                sql = self.const(a.value, rule)
            elif a.name in binds:
                sql = binds[a.name]
            elif a.name in later:
                raise KBError(f"in {lit}, {a.name} is bound only after the negation, which pyDatalog does not "
                              "answer; bind it first", file=rule.file, line=rule.line)
            else:
                if a.name in first:
                    ties.append((first[a.name], h))
                first.setdefault(a.name, h)
                continue
            if isinstance(h, Const):
                conds.append(f"{sql} = {self.const(h.value, inner)}")
            elif h.name in pre:
                conds.append(f"{pre[h.name]} = {sql}")
            else:
                pre[h.name] = sql
        froms, where = self._body(inner, pre, f"{alias}_")  # binds the inner rule's variables in ``pre``
        sql_of = [[self.const(t.value, inner) if isinstance(t, Const) else pre[t.name] for t in tie] for tie in ties]
        where = conds + where + [f"{x} = {y}" for x, y in sql_of]
        return (f"EXISTS (SELECT 1 FROM {', '.join(froms) or '(SELECT 1 AS one) AS t'}"
                + (f" WHERE {' AND '.join(where)})" if where else ")"))

    def _match(self, alias: str, lit: Atom, rule: Rule, bound: dict, new: dict, conds: list,
               later: frozenset = frozenset()) -> None:
        """Conditions tying the columns of ``lit`` (as ``alias``) to its constants and to the variables in
        ``bound``; a variable met for the first time is bound to its column in ``new``."""
        for i, arg in enumerate(lit.args):
            col = f"{alias}.c{i}"
            if isinstance(arg, Const):
                conds.append(f"{col} = {self.const(arg.value, rule)}")
            elif arg.name in bound:
                conds.append(f"{col} = {bound[arg.name]}")
            elif arg.name in new:
                conds.append(f"{col} = {new[arg.name]}")
            elif arg.name in later:
                raise KBError(f"in {lit}, {arg.name} is bound only after the negation, which pyDatalog does not "
                              "answer; bind it first", file=rule.file, line=rule.line)
            else:
                new[arg.name] = col

    def const(self, value, rule: Rule) -> str:
        try:
            return self.lit(encode(value))
        except ValueError as exc:
            raise KBError(f"cannot compile the constant {value!r}: {exc}", file=rule.file, line=rule.line) from None

    def comparison(self, lit: Comparison, binds: dict[str, str], rule: Rule,
                   kinds: Optional[dict[str, set[str]]] = None) -> str:
        """A comparison as Python makes it: numbers with numbers, strings with strings, else false. Where a static
        literal binds a variable, the kinds of value it can have leave out the other branch."""
        sides, tags = [], []
        for t in (lit.left, lit.right):
            if isinstance(t, Var):
                if t.name not in binds:
                    raise KBError(f"in {lit}, {t.name} is not bound by a literal before it", file=rule.file,
                                  line=rule.line)
                sides.append(("var", binds[t.name]))
                tags.append((kinds or {}).get(t.name, {"n", "s"}))
            else:
                sides.append(("const", t.value))
                tags.append({"n", "s"})
        op = {"==": "=", "!=": "<>"}.get(lit.op, lit.op)
        if lit.op in ("==", "!="):
            left, right = (self.const(v, rule) if k == "const" else v for k, v in sides)
            return f"{left} {op} {right}"
        (lk, lv), (rk, rv) = sides
        num = self.d.num

        def number(kind, v):  # (is a number, SQL of the number)
            if kind == "const":
                return (f"{float(v)!r}" if _is_number(v) else None)
            return num(v)

        def string(kind, v):
            if kind == "const":
                return quote(encode(v)) if isinstance(v, str) else None
            return self.d.string.format(x=v)

        parts = []
        for tag, side, test in (("n", number, self.d.is_number), ("s", string, self.d.is_string)):
            left, right = side(lk, lv), side(rk, rv)
            if left is None or right is None or not all(tag in t for t in tags):
                continue
            checks = [test.format(x=v) for (k, v), t in zip(sides, tags) if k == "var" and t != {tag}]
            parts.append("(" + " AND ".join(checks + [f"{left} {op} {right}"]) + ")")
        return "(" + (" OR ".join(parts) if parts else "1 = 0") + ")"

    # -- a recursive component ------------------------------------------------------------------------------------
    def recursive(self, comp: list[str]) -> list[tuple[str, str]]:
        """Steps for a component recursive over a static, acyclic relation: level by level, leaves first.

        At each level a rule runs only for the keys of that level that its static literals allow, and not at all
        where they allow none (a leaf criterion's rules do not run for composite criteria, and back). A rule that
        reads nothing the component derives (``holds_by`` of an ``is_`` criterion reads the patient's values and
        the kb's rows) runs once, at level 0, for every key: its rows are final from the start, so a criterion whose
        other rules wait for a higher level (one settled by a derivation) does not split it level by level."""
        keys, relations, upwards = self.prove_descent(comp)
        levels = self.levels(tuple(sorted(relations)), upwards)
        order = self.same_key_order(comp, keys)
        steps = []
        for level in range(max(levels.values(), default=0) + 1):
            for key in (k for k in order if k not in self.inline):
                pos = keys[key]
                parts = []
                for rule in self.rules[key]:
                    if not any(isinstance(b, Atom) and b.key in comp for b in rule.body):
                        if level == 0:
                            parts.append((rule, None))
                        continue
                    possible = self.possible_values(rule, pos)
                    if possible is None:  # no static literal bounds the key: the level decides
                        restrict = (_not_in(pos, sorted(k for k, lv in levels.items() if lv > 0), self.lit)
                                    if level == 0 else
                                    _in(pos, sorted(k for k, lv in levels.items() if lv == level), self.lit))
                    else:
                        kept = sorted(v for v in possible if levels.get(v, 0) == level)
                        if not kept:
                            continue
                        restrict = None
                        if len(kept) < len(possible):
                            rule, restrict = self.at_level(rule, pos, level, set(kept))
                    parts.append((rule, restrict))
                if parts:
                    steps.append((f"{key} (level {level})", f"{self.d.insert} {table(key)}\n" + self.union(parts)))
        return steps

    def at_level(self, rule: Rule, pos: int, level: int, kept: set[str]) -> tuple[Rule, Optional[object]]:
        """``rule`` run for the keys ``kept`` (those of one level) only: its first static literal that binds the
        head's key is read from that literal's rows at this level, a static table of its own (``any_@2/2``, say).
        A join on a small table costs a database less than a list of constants it would build a set from on every
        run (SQLite) or plan (DuckDB); the rows, and so the answer, are the same. With no such literal, the keys
        are listed (``IN``)."""
        arg = rule.head.args[pos]
        for n, lit in enumerate(rule.body):
            if not isinstance(lit, Atom) or lit.negated or lit.key not in self.static_rows:
                continue
            cols = [i for i, a in enumerate(lit.args) if a == arg]
            if not cols:
                continue
            rows = [row for row in self.static_rows[lit.key] if row[cols[0]] in kept]
            pred = self._level_tables.get((lit.key, frozenset(rows)))
            if pred is None:  # a new table; the same rows (another rule's literal at this level) share one
                pred = f"{lit.pred}{LEVEL}{level}"
                while f"{pred}/{len(lit.args)}" in self.static_rows:
                    pred += "_"
                self._level_tables[(lit.key, frozenset(rows))] = pred
                self.static_rows[f"{pred}/{len(lit.args)}"] = rows
            body = rule.body[:n] + (Atom(pred, lit.args),) + rule.body[n + 1:]
            return Rule(rule.head, body, rule.file, rule.line), None
        return rule, _in(pos, sorted(kept), self.lit)

    def possible_values(self, rule: Rule, pos: int) -> Optional[set[str]]:
        """The values the head's argument ``pos`` can take, as the rule's static literals allow (None: unbounded)."""
        if (id(rule), pos) not in self._possible:
            self._possible[(id(rule), pos)] = self._possible_values(rule, pos)
        return self._possible[(id(rule), pos)]

    def _possible_values(self, rule: Rule, pos: int) -> Optional[set[str]]:
        arg = rule.head.args[pos]
        if isinstance(arg, Const):
            return {encode(arg.value)}
        possible: Optional[set[str]] = None
        for lit in rule.body:
            if not isinstance(lit, Atom) or lit.negated or lit.key not in self.static_rows:
                continue
            cols = [i for i, a in enumerate(lit.args) if a == arg]
            if not cols:
                continue
            consts = [(i, encode(a.value)) for i, a in enumerate(lit.args) if isinstance(a, Const)]
            values = {row[cols[0]] for row in self.static_rows[lit.key]
                      if all(row[i] == v for i, v in consts) and all(row[c] == row[cols[0]] for c in cols)}
            possible = values if possible is None else possible & values
        return possible

    def prove_descent(self, comp: list[str]) -> tuple[dict[str, int], set[str], bool]:
        """The key argument of each predicate of ``comp``, the static relations its recursion follows, and whether it
        follows them upwards (a demand, from a criterion to its parts: parents first) rather than down."""
        members = set(comp)
        edges = [(r, b) for key in comp for r in self.rules[key] for b in r.body
                 if isinstance(b, Atom) and b.key in members]
        for combo in itertools.product(*(range(arity(k)) for k in comp)):
            keys = dict(zip(comp, combo))
            links: set[tuple[str, bool]] = set()
            for rule, lit in edges:
                head_var = rule.head.args[keys[rule.head.key]]
                body_var = lit.args[keys[lit.key]]
                if not (isinstance(head_var, Var) and isinstance(body_var, Var)):
                    break
                if head_var == body_var:
                    continue
                link = [(b.key, b.args == (body_var, head_var)) for b in rule.body
                        if isinstance(b, Atom) and not b.negated and b.key in self.static_rows and len(b.args) == 2
                        and b.args in ((head_var, body_var), (body_var, head_var))]
                if not link:
                    break
                links.add(link[0])
            else:
                if links and len({up for _, up in links}) == 1:
                    return keys, {k for k, _ in links}, next(iter(links))[1]
        where = "; ".join(sorted({f"{r.id}" for r, _ in edges}))
        raise KBError(f"the recursion through {', '.join(comp)} does not follow a static relation without cycles, "
                      f"so it cannot be compiled to SQL (rules {where})")

    def levels(self, relations: tuple[str, ...], upwards: bool = False) -> dict[str, int]:
        """Height of each key in the union of ``relations`` (a parent above its parts), or its depth (a parent
        below its parts) when the recursion goes ``upwards``; a cycle is a KBError."""
        if (relations, upwards) in self._levels_cache:
            return self._levels_cache[(relations, upwards)]
        children: dict[str, set[str]] = {}
        for key in relations:
            for parent, child in self.static_rows[key]:
                a, b = (child, parent) if upwards else (parent, child)
                children.setdefault(a, set()).add(b)
        height: dict[str, int] = {}
        visiting: set[str] = set()

        def h(node: str) -> int:
            if node in height:
                return height[node]
            if node in visiting:
                raise KBError(f"{' / '.join(relations)} has a cycle through {decode(node)!r}: the recursion over it "
                              "has no bottom")
            visiting.add(node)
            height[node] = 1 + max((h(c) for c in children.get(node, ())), default=-1)
            visiting.discard(node)
            return height[node]

        nodes = set(children) | {c for cs in children.values() for c in cs}
        for node in sorted(nodes):
            h(node)
        self._levels_cache[(relations, upwards)] = height
        return height

    def same_key_order(self, comp: list[str], keys: dict[str, int]) -> list[str]:
        """The component's predicates ordered by their same-key dependencies (which must not form a cycle)."""
        deps: dict[str, set[str]] = {k: set() for k in comp}
        for key in comp:
            for r in self.rules[key]:
                head_var = r.head.args[keys[key]]
                for b in r.body:
                    if isinstance(b, Atom) and b.key in deps and b.args[keys[b.key]] == head_var:
                        deps[key].add(b.key)
        order: list[str] = []
        while len(order) < len(comp):
            ready = sorted(k for k in comp if k not in order and deps[k] <= set(order))
            if not ready:
                raise KBError(f"{', '.join(sorted(set(comp) - set(order)))} depend on one another for the same key: "
                              "the recursion has no order to evaluate it in")
            order.extend(ready)
        return order


def _name(key: str) -> str:
    return key.rsplit("/", 1)[0]


def _unfolded(reader: Rule, lit: Atom, rule: Rule, n: int):
    """``reader`` with its literal ``lit`` replaced by the body of ``rule`` (one rule of ``lit``'s predicate), the
    variables of ``rule`` renamed apart (``X`` -> ``X~n``). None where the two cannot match (different constants);
    False where ``rule``'s head repeats a variable (not unfolded). The negations and comparisons go after every
    positive literal, so each finds its variables bound, as it did in its own rule."""
    def rename(t):
        return Var(f"{t.name}~{n}") if isinstance(t, Var) else t

    head = [rename(t) for t in rule.head.args]
    names = [t.name for t in head if isinstance(t, Var)]
    if len(names) != len(set(names)):
        return False
    sub: dict[str, object] = {}  # this rule's variables -> the reader's terms
    fixed: dict[str, Const] = {}  # the reader's variables that this rule's head makes constants
    for h, a in zip(head, lit.args):
        if isinstance(h, Var):
            sub[h.name] = a
        elif isinstance(a, Const):
            if encode(h.value) != encode(a.value):
                return None
        elif a.name in fixed and encode(fixed[a.name].value) != encode(h.value):
            return None
        else:
            fixed[a.name] = h

    def term(t, renamed=False):
        t = sub.get(t.name, t) if renamed and isinstance(t, Var) else t
        return fixed.get(t.name, t) if isinstance(t, Var) else t

    def literal(b, renamed=False):
        if isinstance(b, Atom):
            return Atom(b.pred, tuple(term(rename(a) if renamed else a, renamed) for a in b.args), b.negated)
        return Comparison(b.op, term(rename(b.left) if renamed else b.left, renamed),
                          term(rename(b.right) if renamed else b.right, renamed))

    i = reader.body.index(lit)
    body = ([literal(b) for b in reader.body[:i]] + [literal(b, True) for b in rule.body]
            + [literal(b) for b in reader.body[i + 1:]])
    positive = [b for b in body if isinstance(b, Atom) and not b.negated]
    return Rule(literal(reader.head), tuple(positive + [b for b in body if b not in positive]), reader.file,
                reader.line)


def _in_order(rule: Rule) -> bool:
    """Whether each comparison and negation of the rule comes after the positive literals that bind its variables
    (those :meth:`_Compiler.select` compiles; pyDatalog answers nothing, or fails, for the others)."""
    bound: set[str] = set()
    for lit, later in zip(rule.body, _later_vars(rule)):
        names = {a.name for a in lit.terms if isinstance(a, Var)}
        if isinstance(lit, Atom) and not lit.negated:
            bound |= names
        elif (names - bound) & later if isinstance(lit, Atom) else names - bound:
            return False  # a negation with a variable bound after it, a comparison with one not bound before
    return True


def _filter(rule: Rule) -> bool:
    """Whether every variable of the rule's positive literals is one of its head's (the rule only tests its head)."""
    head = {a.name for a in rule.head.args if isinstance(a, Var)}
    return all(a.name in head for b in rule.body if isinstance(b, Atom) and not b.negated for a in b.args
               if isinstance(a, Var))


def _safe(body: list, source: tuple) -> list:
    """The literals of ``body`` (some of the literals ``source``) that can run: negations and comparisons whose
    variables its positive atoms bind. A variable that appears once in ``source``, in a negation, is a don't-care,
    and fine; one that a literal left out of ``body`` binds is not (the negation would be stronger)."""
    bound = {a.name for b in body if isinstance(b, Atom) and not b.negated for a in b.args if isinstance(a, Var)}
    counts: dict[str, int] = {}
    for b in source:
        for a in b.terms:
            if isinstance(a, Var):
                counts[a.name] = counts.get(a.name, 0) + 1
    out = []
    for b in body:
        if isinstance(b, Atom) and not b.negated:
            out.append(b)
        else:
            args = b.terms
            if all(not isinstance(a, Var) or a.name in bound or (isinstance(b, Atom) and counts[a.name] == 1)
                   for a in args):
                out.append(b)
    return out


def _existential(rule: Rule) -> bool:
    """Whether the rule's positive literals bind a variable its head does not keep (so rows can repeat)."""
    kept = {a.name for a in rule.head.args if isinstance(a, Var)}
    return any(isinstance(a, Var) and a.name not in kept for b in rule.body
               if isinstance(b, Atom) and not b.negated for a in b.args)


def _differ(a: tuple, b: tuple) -> bool:
    """Whether two heads can never give the same row: at some argument both are different constants."""
    return any(isinstance(x, Const) and isinstance(y, Const) and encode(x.value) != encode(y.value)
               for x, y in zip(a, b))


def _in(pos: int, values: list[str], lit=quote):
    return lambda head: f"{head[pos]} IN ({', '.join(map(lit, values))})" if values else "1 = 0"


def _not_in(pos: int, values: list[str], lit=quote):
    return lambda head: f"{head[pos]} NOT IN ({', '.join(map(lit, values))})" if values else "1 = 1"


def _is_number(v) -> bool:
    return isinstance(v, (int, float))  # a bool too: True >= 1 in Python


def _later_vars(rule: Rule) -> list[set[str]]:
    """For each body position, the variables that positive literals after it bind."""
    out = []
    for n in range(len(rule.body)):
        names = set()
        for lit in rule.body[n + 1:]:
            if isinstance(lit, Atom) and not lit.negated:
                names |= {a.name for a in lit.args if isinstance(a, Var)}
        out.append(names)
    return out


def fact_columns(facts: Iterable[tuple], convert=encode) -> dict[str, list[list]]:
    """Patient facts ``(pred, arg, ...)`` as columns per fact table, for a bulk insert by parameters: each value
    encoded (tagged text), or as ``convert`` makes it (a Codebook's :meth:`~Codebook.code_value`)."""
    tables = {(key.split("/")[0], n + 1): key for key, n in FACT_TABLES.items()}  # (pred, len of a fact) -> key
    rows: dict[str, list[tuple]] = {key: [] for key in FACT_TABLES}
    for fact in facts:
        key = tables.get((fact[0], len(fact)))
        if key is None:
            raise KBError(f"{fact[0]}/{len(fact) - 1} is not a patient fact table")
        rows[key].append(fact[1:])
    values = _Converted(convert)  # values repeat (a case's id in each of its facts, field names, terms): each once
    return {key: [list(map(values.__getitem__, col)) for col in zip(*rows[key])] if rows[key] else
            [[] for _ in range(n)] for key, n in FACT_TABLES.items()}


class _Converted(dict):
    """Values converted once each. Equal values share one entry (1, 1.0 and True are one key), which is sound because
    a value's conversion keeps Python's equality: equal values are equal tagged text and equal codes."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, value):
        self[value] = converted = self.convert(value)
        return converted
