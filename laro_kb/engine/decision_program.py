"""The decision program: kb/logic.dl specialised, at load time, to the criteria and pathways of the loaded kb.

``kb/logic.dl`` evaluates every criterion through generic rules (``holds(C, K) <= form(K, M) & holds_by(C, K, M)``),
so deciding one case runs a few hundred small pyDatalog subgoals, and pyDatalog neither indexes rules by their head
constants nor shares a table between ``holds(c, K)`` and ``holds(c, 'k')``. This module writes, from the kb's own
facts (the criteria, the pathway links, the therapy hierarchy, the section index), one Datalog predicate per
criterion and per pathway, with the criterion's constants in its rule bodies: the partial evaluation of
``logic.dl`` with respect to the kb's static facts. A decision then runs only the candidate pathways' rules.

What is specialised, rule for rule from ``logic.dl`` (the comments there give the meaning):

- per criterion ``k``: ``h_k(C)`` (holds), ``f_k(C)`` (fails), ``u_k(C)`` (unknown), ``m_k(C, F)`` (missing),
  ``st_k`` / ``xs_k`` (its status as a requirement / an exclusion), ``acc_k_i(V)`` (the terms it accepts, the
  therapy hierarchy expanded) and, for a derived criterion, ``blk_k(C)`` (its derivation is blocked) and its rows of
  ``settled(C, K, S)`` (the derivation from ``S`` settled it);
- per pathway ``p``: ``met_p``, ``closed_p``, ``v_p(C, V)`` (its verdict), ``pa_p(C, K, S)`` (its criteria's
  statuses), ``pg_p(C, K, F)`` (its gaps), ``offsub_p`` / ``offind_p`` (its subsection / indication fails);
- the candidate index: ``out(C, T, P, A, B)``, the verdict, status and gap rows of the candidates, dispatched on the
  documented section (one rule per section, so a decision never touches another section's pathways) and on the
  general sections; ``verdict``, ``assessed`` and ``gap`` are read off it, and ``ask`` (no section documented)
  from the indication fails of the named sections' pathways.

The layer above (``decision``, ``authorization``, ``report`` and what they use) is not rewritten: its rules are
copied from ``logic.dl`` with their predicates renamed, so it cannot drift. Nothing here names a criterion, a field
other than the section index, or a pathway: change a criterion in kb/ and this program follows. ``logic.dl`` stays
the reference semantics (the explanations trace it), and ``tests/engine/test_decision_program.py`` checks that both programs give
the same report, row for row, on shipped cases and on generated ones.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from ..errors import KBError
from ..knowledge.program import Atom, Comparison, Const, Rule, Statement, Var

PREFIX = "lk_"
SECTION_FIELD = "diagnosis.section"  # the candidate index of logic.dl's candidate/2 rules
BOUNDS = {"at_least": (">=", "<"), "more_than": (">", "<="), "at_most": ("<=", ">"), "less_than": ("<", ">=")}
# the pathway layer of logic.dl, replaced by this module; the layer above it is copied with these renamings
REPLACED = frozenset({"verdict/3", "assessed/4", "gap/4", "ask/2", "settled/3"})
COPIED = ("report/5", "decision/2", "approvable/1", "pendable/1", "authorization/2")
COMPILED_LAYER = frozenset({
    "kind_of/2", "form/2", "holds/2", "fails/2", "holds_by/3", "fails_by/3", "any_open/2", "all_open/2",
    "unknown/2", "missing/3", "status/4", "open_/2", "closed/2", "off_indication/2", "off_subsection/2",
    "candidate/2", "needs/3", "section_open/1", "always/1", "blocked/2"}) | REPLACED

C, F, V, S, P, K, X = (Var(n) for n in ("C", "F", "V", "S", "P", "K", "X"))


def _a(pred: str, *args, negated: bool = False) -> Atom:
    return Atom(pred, tuple(a if isinstance(a, Var) else Const(a) for a in args), negated)


def _not(atom: Atom) -> Atom:
    return Atom(atom.pred, atom.args, True)


@dataclass
class _Writer:
    rules: list[Statement] = field(default_factory=list)

    def rule(self, head: Atom, *body) -> None:
        self.rules.append(Rule(head, tuple(body), "<compiled>", len(self.rules) + 1))

    def fact(self, pred: str, *args) -> None:
        self.rule(_a(pred, *args))


class Compiler:
    """Reads the kb's static facts from a loaded (materialized) engine; :meth:`program` writes the rules."""

    def __init__(self, engine, statements: list[Statement]):
        self.statements = statements
        ask = lambda pred, arity: engine.rows(f"{pred}/{arity}")  # noqa: E731  every row of pred
        self.kind_of: dict = {}
        for x, y in ask("kind_of", 2):
            self.kind_of.setdefault(y, set()).add(x)
        self.is_: dict = {}  # k -> field -> [values]
        for k, f, v in ask("is_", 3):
            self.is_.setdefault(k, {}).setdefault(f, []).append(v)
        self.bounds: dict = {form: {} for form in BOUNDS}  # form -> k -> [(field, bound)]
        for form, by_k in self.bounds.items():
            for k, f, b in ask(form, 3):
                by_k.setdefault(k, []).append((f, b))
        self.parts = {form: {} for form in ("any_", "all_", "not_")}
        for form, by_k in self.parts.items():
            for k, s in ask(form, 2):
                by_k.setdefault(k, []).append(s)
        self.requires = _group(ask("requires", 2))
        self.exclusion = _group(ask("exclusion", 2))
        self.indication = _group(ask("indication", 2))
        sub_ind = _group(ask("subsection_indication", 2))
        self.off_subsection: dict = {}  # p -> the indication criteria of each of its subsections
        for p, u in ask("subsection", 2):
            self.off_subsection.setdefault(p, []).extend(sub_ind.get(u, ()))
        self.section_of = {p: s for p, s, _n, _o in ask("pathway", 4)}
        self.general = {s for (s,) in ask("general_section", 1)}
        self.named = {s for s, _k in ask("section_indication", 2)}
        self.always = {k for (k,) in ask("always", 1)}  # criteria every valid value meets (logic.dl's always/1)
        # derivations (logic.dl's implied/2, ruled_out/2, unless/2): k -> its sources, and what blocks them
        self.implied, self.ruled_out = _group(ask("implied", 2)), _group(ask("ruled_out", 2))
        self.unless = _group(ask("unless", 2))
        self.depends_on = _group(ask("depends_on", 2))  # k -> the fields it reads, itself or through its parts
        self.criteria = sorted(set(self.is_) | {k for by_k in self.bounds.values() for k in by_k}
                               | {k for by_k in self.parts.values() for k in by_k})
        self.index = {k: i for i, k in enumerate(self.criteria)}
        self.pathways = sorted(self.section_of)
        self.required = {k for ks in self.requires.values() for k in ks}
        self.excluding = {k for ks in self.exclusion.values() for k in ks}
        self.pindex = {p: i for i, p in enumerate(self.pathways)}

    # -- names ------------------------------------------------------------
    def c(self, kind: str, k: str) -> str:
        if k not in self.index:
            raise KBError(f"a pathway or criterion names {k!r}, which is no criterion (it has no form)")
        return f"{PREFIX}{kind}{self.index[k]}"

    def p(self, kind: str, p: str) -> str:
        return f"{PREFIX}{kind}{self.pindex[p]}"

    # -- the program --------------------------------------------------------
    def program(self) -> list[Statement]:
        w = _Writer()
        for k in self.criteria:
            self._criterion(w, k)
        if not self.implied and not self.ruled_out:  # no derivation: settled is defined, and never true
            w.rule(_a(PREFIX + "settled", C, "", ""), _a("case", C), _a("case", C, negated=True))
        for p in self.pathways:
            self._pathway(w, p)
        self._dispatch(w)
        self._copy_upper_layer(w)
        return w.rules

    def _criterion(self, w: _Writer, k: str) -> None:
        h, f, u, m = (_a(self.c(n, k), C) for n in ("h", "f", "u", "m"))
        if k in self.always:
            w.rule(h, _a("case", C))
        for i, (fld, values) in enumerate(sorted(self.is_.get(k, {}).items(), key=lambda kv: kv[0])):
            acc = f"{self.c('acc', k)}_{i}"
            for v in sorted({x for t in values for x in {t} | self.kind_of.get(t, set())}, key=repr):
                w.fact(acc, v)
            w.rule(h, _a("val", C, fld, V), _a(acc, V))
            w.rule(f, _a("known", C, fld), _not(h))
            w.rule(_a(m.pred, C, fld), _a("known", C, fld, negated=True))
        for form, (yes, no) in BOUNDS.items():
            for fld, bound in self.bounds[form].get(k, ()):
                w.rule(h, _a("val", C, fld, X), Comparison(yes, X, Const(bound)))
                w.rule(f, _a("val", C, fld, X), Comparison(no, X, Const(bound)))
                w.rule(_a(m.pred, C, fld), _a("known", C, fld, negated=True))
        parts = {form: self.parts[form].get(k, ()) for form in self.parts}
        for s in parts["any_"]:
            w.rule(h, _a(self.c("h", s), C))
        if parts["any_"]:
            w.rule(f, *(_a(self.c("f", s), C) for s in parts["any_"]))
        if parts["all_"]:
            w.rule(h, *(_a(self.c("h", s), C) for s in parts["all_"]))
        for s in parts["all_"]:
            w.rule(f, _a(self.c("f", s), C))
        for s in parts["not_"]:
            w.rule(h, _a(self.c("f", s), C))
            w.rule(f, _a(self.c("h", s), C))
        for s in (s for form in parts.values() for s in form):
            w.rule(_a(m.pred, C, F), _a(self.c("u", s), C), _a(self.c("m", s), C, F))
        self._derivations(w, k, h, f)
        w.rule(u, _not(h), _not(f))
        # its status as a requirement (st) and as an exclusion (xs)
        for pred, names, used in (("st", ("met", "not_met"), self.required), ("xs", ("excluded", "clear"),
                                                                              self.excluding)):
            if k in used:
                status = self.c(pred, k)
                w.rule(_a(status, C, names[0]), h)
                w.rule(_a(status, C, names[1]), f)
                w.rule(_a(status, C, "unknown"), u)

    def _derivations(self, w: _Writer, k: str, h: Atom, f: Atom) -> None:
        """logic.dl's derivations of k: met (implied) or not met (ruled_out) when a source holds, unless blocked
        (``blk_k``: one of k's own fields is documented, or a criterion that contradicts the derivation holds)."""
        sources = [(h, s) for s in self.implied.get(k, ())] + [(f, s) for s in self.ruled_out.get(k, ())]
        if not sources:
            return
        blocked = _a(self.c("blk", k), C)
        for fld in sorted(self.depends_on.get(k, ()), key=repr):
            w.rule(blocked, _a("known", C, fld))
        for b in self.unless.get(k, ()):
            w.rule(blocked, _a(self.c("h", b), C))
        if not self.depends_on.get(k) and not self.unless.get(k):  # nothing blocks it: keep blk defined, never true
            w.rule(blocked, _a("case", C), _a("case", C, negated=True))
        for head, s in sources:
            w.rule(head, _a(self.c("h", s), C), _not(blocked))
            w.rule(_a(PREFIX + "settled", C, k, s), _a(self.c("h", s), C), _not(blocked))

    def _pathway(self, w: _Writer, p: str) -> None:
        req, exc = self.requires.get(p, []), self.exclusion.get(p, [])
        if not req and not exc:
            raise KBError(f"pathway {p!r} requires no criterion", file="<compiled>")
        rows, gaps = self.p("pa", p), self.p("pg", p)  # pa(C, K, S): status S of criterion K; pg(C, K, F): gaps
        for ks, status in ((req, "st"), (exc, "xs")):
            for k in ks:
                w.rule(_a(rows, C, k, S), _a(self.c(status, k), C, S))
                w.rule(_a(gaps, C, k, F), _a(self.c("u", k), C), _a(self.c("m", k), C, F))
        # met: every requirement holds and every exclusion fails; closed: one requirement fails or one exclusion holds
        met, closed = _a(self.p("met", p), C), _a(self.p("closed", p), C)
        w.rule(met, *(_a(self.c("h", k), C) for k in req), *(_a(self.c("f", k), C) for k in exc))
        for k in req:
            w.rule(closed, _a(self.c("f", k), C))
        for k in exc:
            w.rule(closed, _a(self.c("h", k), C))
        verdict = self.p("v", p)
        w.rule(_a(verdict, C, "approved"), met)
        w.rule(_a(verdict, C, "denied"), closed)
        w.rule(_a(verdict, C, "pending"), _not(met), _not(closed))
        for name, ks in (("offsub", self.off_subsection.get(p, ())), ("offind", self.indication.get(p, ()))):
            for k in ks:
                w.rule(_a(self.p(name, p), C), _a(self.c("f", k), C))

    def _gate(self, p: str) -> list[Atom]:
        """What makes ``p`` a candidate when its section is documented: not off its subsection."""
        if self.off_subsection.get(p):
            return [_a(self.p("offsub", p), C, negated=True)]
        return []

    def _out(self, w: _Writer, pred: str, p: str, gate: list[Atom]) -> None:
        """``pred(C, T, P, A, B)``: the verdict, status and gap rows of candidate ``p``."""
        verdict = _a(self.p("v", p), C, V)
        w.rule(_a(pred, C, "verdict", p, V, ""), *gate, verdict)
        w.rule(_a(pred, C, "status", p, K, S), *gate, _a(self.p("pa", p), C, K, S))
        w.rule(_a(pred, C, "gap", p, K, F), *gate, verdict, Comparison("==", V, Const("pending")),
               _a(self.p("pg", p), C, K, F))

    def _dispatch(self, w: _Writer) -> None:
        """``lk_out``: the rows of the candidates of the documented section (one rule per section), of the general
        sections; and logic.dl's ask/2, for a case that documents no section."""
        T, A, B = Var("T"), Var("A"), Var("B")
        out, row = PREFIX + "out", (T, P, A, B)
        w.rule(_a(out, C, *row), _a("val", C, SECTION_FIELD, X), _a(PREFIX + "by_section", C, X, *row))
        w.rule(_a(out, C, *row), _a("case", C), _a(PREFIX + "general", C, *row))
        sections = sorted({self.section_of[p] for p in self.pathways})
        for i, s in enumerate(sections):
            w.rule(_a(PREFIX + "by_section", C, s, *row), _a(f"{PREFIX}sec{i}", C, *row))
            for p in (p for p in self.pathways if self.section_of[p] == s):
                self._out(w, f"{PREFIX}sec{i}", p, self._gate(p))
                if s in self.general:
                    self._out(w, PREFIX + "general", p, [])
        if not self.general & set(sections):  # the kb has no such section: keep the predicate defined, never true
            w.rule(_a(PREFIX + "general", C, *row), _a("case", C), _a("case", C, negated=True), *(
                Comparison("==", x, Const("")) for x in row))
        # logic.dl's ask/2: no section documented, and some section's pathway is not off its indication
        w.rule(_a(PREFIX + "ask", C, SECTION_FIELD), _a("case", C), _a("known", C, SECTION_FIELD, negated=True),
               _a(PREFIX + "section_open", C))
        for p in (p for p in self.pathways if self.section_of[p] in self.named):
            w.rule(_a(PREFIX + "section_open", C), _a("case", C), *(
                [_a(self.p("offind", p), C, negated=True)] if self.indication.get(p) else []))
        if not any(self.section_of[p] in self.named for p in self.pathways):
            w.rule(_a(PREFIX + "section_open", C), _a("case", C), _a("case", C, negated=True))
        # logic.dl's verdict/3, assessed/4 and gap/4, read off the rows
        w.rule(_a(PREFIX + "verdict", C, P, V), _a(out, C, T, P, V, B), Comparison("==", T, Const("verdict")))
        w.rule(_a(PREFIX + "assessed", C, P, K, S), _a(out, C, T, P, K, S), Comparison("==", T, Const("status")))
        w.rule(_a(PREFIX + "gap", C, P, K, F), _a(out, C, T, P, K, F), Comparison("==", T, Const("gap")))

    def _copy_upper_layer(self, w: _Writer) -> None:
        """Copy logic.dl's rules for the COPIED predicates, renamed to read the decision program. A positive call
        with constants after the case, such as ``verdict(C, _P, 'approved')``, is asked with variables and filtered
        (``verdict(C, _P, X) & (X == 'approved')``): pyDatalog tables each call pattern apart, so the decision then
        reuses the one table of the case's verdicts instead of deriving them again for each constant."""
        rename = {key: PREFIX + key.split("/")[0] for key in REPLACED | set(COPIED)}
        for st in self.statements:
            if isinstance(st, Rule) and st.head.key in COPIED:
                taken = {a.name for lit in (st.head, *st.body) for a in lit.terms if isinstance(a, Var)}
                fresh = (f"K_{n}" for n in itertools.count() if f"K_{n}" not in taken)
                body: list = []
                for lit in st.body:
                    if isinstance(lit, Atom) and lit.key in COMPILED_LAYER - REPLACED:
                        raise KBError(f"rule for {st.head.key} reads {lit.key}, which the decision program does "
                                      f"not compile; laro_kb/engine/decision_program.py must learn it", file=st.file, line=st.line)
                    if isinstance(lit, Atom) and lit.key in rename:
                        args, tests = list(lit.args), []
                        if not lit.negated:
                            for n, arg in enumerate(args[1:], 1):
                                if isinstance(arg, Const):
                                    args[n] = Var(next(fresh))
                                    tests.append(Comparison("==", args[n], arg))
                        body += [Atom(rename[lit.key], tuple(args), lit.negated), *tests]
                    else:
                        body.append(lit)
                w.rule(Atom(rename[st.head.key], st.head.args), *body)


def _group(rows) -> dict:
    out: dict = {}
    for a, b in rows:
        out.setdefault(a, []).append(b)
    return out


def compile_program(engine, statements: list[Statement]) -> list[Statement]:
    """The decision program for the kb loaded in ``engine`` (after :func:`laro_kb.engine.materialize.materialize`)."""
    names = {st.head.key.split("/")[0] if isinstance(st, Rule) else st.atom.pred for st in statements}
    clash = sorted(n for n in names if n.startswith(PREFIX))
    if clash:
        raise KBError(f"predicate {clash[0]!r} uses the prefix {PREFIX!r}, which is reserved for the decision program")
    return Compiler(engine, statements).program()


REPORT = PREFIX + "report"

__all__ = ["compile_program", "Compiler", "REPORT"]
