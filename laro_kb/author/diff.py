"""``laro-kb diff OLD NEW``: what an edit of the knowledge base changes, and which decisions it changes.

"No change" is said only when it is proved, and "decisions unchanged" likewise; otherwise the report says what was
compared. The steps:

1. **Statements.** Both versions are parsed (:mod:`laro_kb.knowledge.program`) and compared as sets of statements,
   each without its file and line. Equal sets, and the same policy text (``kb/policy/``), prove that nothing changed:
   the edit only reordered statements, repeated one, moved them between files or touched comments.
2. **What decides.** A decision is the kb's ``report/5`` rows for a case. They are computed by the rules that read
   patient facts (the *dynamic* rules) from the rows of the static predicates those rules read (the same inputs the
   SQL program is compiled with, :func:`laro_kb.engine.sql.static_inputs`), and the case is validated against the
   vocabulary. When the dynamic rules are the same, every input row is the same and the vocabulary is the same, every
   patient is decided the same way in both versions: the decisions are proved unchanged, and only texts, labels or
   citations differ (listed).
3. **Who may change.** Otherwise, the input rows that differ name the pathways, criteria, fields, terms and codes
   they touch; a pathway is touched when a changed row names it, one of its criteria (through composite parts), or a
   field or term its criteria read. When a dynamic rule differs (``kb/logic.dl``), every pathway is touched.
4. **Patients.** For each touched pathway, witnesses in either version (:mod:`laro_kb.author.generate`): a case it
   approves, each of its criteria made met, not met and undocumented in turn, and every value that the changed rows
   name set on the fields they concern. All are decided set-at-a-time by each version's engine (the SQL engine, in
   DuckDB for many cases), and every decision that differs (outcome, verdict, criterion status, what a pend needs,
   code notes, or a case that one version refuses) is reported with its example patient.

A sample proves nothing: when no compared patient differs, the report says "decisions compared for N patients built
from ...; not proven".
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..case.model import Case
from ..engine.sql import static_inputs, static_keys
from ..errors import LaroError
from ..knowledge.program import Fact, Rule
from .generate import Patient, diff_patients, report_rows

MAX_EXAMPLES = 3
POLICY_DIR = "policy"


class _Reads:
    """An engine that records the predicates asked of it (``name/arity``), to learn what the vocabulary reads."""

    def __init__(self, engine):
        self.engine, self.keys = engine, set()

    def ask(self, pred: str, *args) -> list[tuple]:
        self.keys.add(f"{pred}/{len(args)}")
        return self.engine.ask(pred, *args)


def vocabulary_reads(kb) -> set[str]:
    """The kb predicates case parsing and validation read (laro_kb.knowledge.vocabulary): a change can refuse a case
    or read it differently."""
    if kb not in _READS:
        reads = _Reads(kb.engine)
        type(kb.vocabulary).from_engine(reads)
        _READS[kb] = reads.keys
    return _READS[kb]


def _rows(kb, key: str) -> frozenset:
    """The rows of ``key`` in the loaded kb (asked of its engine once)."""
    known = _ROWS.setdefault(kb, {})
    if key not in known:
        known[key] = frozenset(kb.engine.rows(key))
    return known[key]


_ROWS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {predicate: its rows}
_READS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> what its vocabulary reads


@dataclass(frozen=True)
class StatementChange:
    sign: str  # '-' only in the old version, '+' only in the new one
    where: str  # file:line
    text: str


@dataclass(frozen=True)
class Example:
    case: Case
    old: str  # the decision (or what the pathway's verdict was) in the old version
    new: str
    source: str  # how the patient was built


@dataclass(frozen=True)
class PathwayDiff:
    pathway: str  # a pathway id, or 'decision' / 'code notes' / 'case validation' for a change tied to no pathway
    status: str  # 'added', 'removed' or 'changed'
    differing: int  # compared patients whose decision on it differs
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class DiffReport:
    old: str
    new: str
    statements: tuple[StatementChange, ...]  # the statements that differ (empty: the same statement sets)
    policy_changed: bool  # the policy text shipped with the kb differs
    touched: tuple[str, ...]  # predicates whose facts or rules differ
    proof: str  # why decisions are unchanged, when proved; '' otherwise
    compared: int = 0  # patients compared
    sources: tuple[str, ...] = ()  # what the patients were built from
    pathways: tuple[PathwayDiff, ...] = ()  # the decisions that change, by pathway
    errors: tuple[str, ...] = ()  # a version that cannot decide at all

    @property
    def identical(self) -> bool:
        """Proved: the same statements (modulo order, repeats, files and comments) and the same policy text."""
        return not self.statements and not self.policy_changed

    @property
    def decisions_proved_unchanged(self) -> bool:
        return bool(self.proof)

    @property
    def changed(self) -> tuple[PathwayDiff, ...]:
        return self.pathways

    @property
    def no_change(self) -> bool:
        return self.identical


def diff(old, new) -> DiffReport:
    """Compare two loaded knowledge bases (laro_kb.KnowledgeBase)."""
    changes = _statement_changes(old.statements, new.statements)
    policy_changed = _policy(old.directory) != _policy(new.directory)
    touched = tuple(sorted({_key(c) for c in changes}))
    base = dict(old=str(old.directory), new=str(new.directory), statements=tuple(c for _, c in changes),
                policy_changed=policy_changed, touched=touched)
    if not changes:
        return DiffReport(**base, proof="the two versions have the same statements")
    rules_changed, rows, vocabulary_changed = _inputs(old, new)
    read_by_rules = set(static_inputs(old.statements)) | set(static_inputs(new.statements))
    if not rules_changed and not set(rows) & read_by_rules and not vocabulary_changed:
        return DiffReport(**base, proof=(f"the rules that decide and the {len(static_inputs(new.statements))} "
                                         "kinds of kb rows they read are the same, and so is the case vocabulary; "
                                         f"only {', '.join(touched)} differ"))
    patients, sources = diff_patients(old, new, rows, rules_changed)
    # the witnesses first; when a rule changed (every pathway touched), their variations only for the pathways whose
    # witnesses show no change
    first = [p for p in patients if p.stage == 0]
    a, errors_a, parsed = _decide(old, first)
    b, errors_b, _ = _decide(new, first, parsed if old.vocabulary == new.vocabulary else None)
    shown = {name for p, x, y in zip(first, a, b) if x != y for name in
             [p.pathway] + [name for name, _, _ in _what_differs(x, y)]}
    rest = [p for p in patients if p.stage > 0 and (not rules_changed or not p.pathway or p.pathway not in shown)]
    if rest and not (errors_a or errors_b):
        a2, errors_a, parsed = _decide(old, rest)
        b2, errors_b, _ = _decide(new, rest, parsed if old.vocabulary == new.vocabulary else None)
        first, a, b = first + rest, a + a2, b + b2
    patients = first
    errors = tuple(f"the {v} version cannot decide: {e}" for v, e in (("old", errors_a), ("new", errors_b)) if e)
    found = tuple(PathwayDiff(p.pathway, "added" if p.pathway not in old.pathways and p.pathway in new.pathways
                              else "removed" if p.pathway in old.pathways and p.pathway not in new.pathways
                              else p.status, p.differing, p.examples) for p in _differences(patients, a, b))
    return DiffReport(**base, proof="", compared=len(patients), sources=sources, pathways=found, errors=errors)


def _key(change) -> str:
    return change[0]


def _statement_changes(old: list, new: list) -> list[tuple[str, StatementChange]]:
    def keyed(statements):
        out = {}
        for st in statements:
            out.setdefault(statement_identity(st), st)
        return out
    ko, kn = keyed(old), keyed(new)
    out = []
    for sign, mine, other in (("-", ko, kn), ("+", kn, ko)):
        for k in sorted(mine.keys() - other.keys(), key=repr):
            st = mine[k]
            key = st.atom.key if isinstance(st, Fact) else st.head.key
            text = f"+ {st.atom}" if isinstance(st, Fact) else str(st)
            out.append((key, StatementChange(sign, f"{Path(st.file).name}:{st.line}", text)))
    out.sort(key=lambda kc: (kc[1].where.split(":")[0], int(kc[1].where.split(":")[1]), kc[1].sign == "+"))
    return out


def statement_identity(st) -> tuple:
    return ("fact", st.atom) if isinstance(st, Fact) else ("rule", st.head, st.body)


def _policy(directory) -> dict[str, str]:
    folder = Path(directory) / POLICY_DIR
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))} if folder.is_dir() else {}


def _inputs(old, new) -> tuple[bool, dict[str, tuple[set, set]], bool]:
    """Whether the dynamic rules differ; the static input rows that differ (key -> (old only, new only)); and
    whether the case vocabulary differs."""
    def dynamic(kb):
        static = static_keys(kb.statements)
        return {(st.head, st.body) for st in kb.statements if isinstance(st, Rule) and st.head.key not in static}
    rules_changed = dynamic(old) != dynamic(new)
    rows = {}
    keys = set(static_inputs(old.statements)) | set(static_inputs(new.statements)) | vocabulary_reads(old) | vocabulary_reads(new)
    for key in sorted(keys):
        ro, rn = _rows(old, key), _rows(new, key)
        if ro != rn:
            rows[key] = (ro - rn, rn - ro)
    return rules_changed, rows, old.vocabulary != new.vocabulary


def _decide(kb, patients: list[Patient], parsed: Optional[list] = None) -> tuple[list, str, list]:
    """Each patient's decision in ``kb`` as a comparable value (its ``report/5`` rows, or why the case is refused),
    decided set-at-a-time by the kb's engine; the parsed cases are returned for reuse. A loaded kb decides a patient
    the same way every time: the decisions of the patients it was asked about are remembered (a kb diffed against
    many versions, as the seeded mutants are, meets the same witnesses again)."""
    from ..errors import CaseError
    known = _decided(kb)
    out: list = [None] * len(patients)
    if parsed is None:
        parsed = []
        for p in patients:
            try:
                parsed.append(known[p.case.values][0] if p.case.values in known else kb.parse_case(p.case.as_dict()))
            except CaseError as exc:
                parsed.append(("refused", exc.message))
    where = []
    for i, (p, c) in enumerate(zip(patients, parsed)):
        if not isinstance(c, Case):
            out[i] = c
        elif p.case.values in known:
            out[i] = ("decided", known[p.case.values][1])
        else:
            where.append(i)
    cids = [f"#diff{i}" for i in where]
    facts = [f for i, cid in zip(where, cids) for f in parsed[i].facts(cid, kb.vocabulary)]
    try:
        rows = report_rows(kb, facts, cids) if cids else []
    except (LaroError, RecursionError) as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return [("error", message)] * len(patients), message, parsed
    by_case: dict[str, set] = {cid: set() for cid in cids}
    for row in rows:
        by_case[row[0]].add(row[1:])
    for i, cid in zip(where, cids):
        out[i] = ("decided", frozenset(by_case[cid]))
        if len(known) < REMEMBERED:
            known[patients[i].case.values] = (parsed[i], out[i][1])
    return out, "", parsed


def _decided(kb) -> dict:
    known = _DECISIONS.get(kb)
    if known is None:
        known = _DECISIONS[kb] = {}
    return known


REMEMBERED = 10_000  # decisions remembered per loaded kb (a few tens of MB at most)
_DECISIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kb -> {case values: (case, report rows)}


def _differences(patients: list[Patient], a: list, b: list) -> tuple[PathwayDiff, ...]:
    groups: dict[str, list] = {}
    for p, x, y in zip(patients, a, b):
        if x == y:
            continue
        for name, old, new in _what_differs(x, y):
            groups.setdefault(name, []).append(Example(p.case, old, new, p.source))
    out = []
    for name, examples in sorted(groups.items(), key=lambda kv: (kv[0] in NOT_A_PATHWAY, kv[0])):
        out.append(PathwayDiff(name, "changed", len(examples), tuple(_varied(examples))))
    return tuple(out)


NOT_A_PATHWAY = ("decision", "code notes", "case validation")


def _varied(examples: list[Example]) -> list[Example]:
    """Up to MAX_EXAMPLES examples: a changed verdict first, then different (old, new) pairs."""
    def rank(e):
        return (":" in e.old or ":" in e.new, len(e.case.values))
    seen, first, rest = set(), [], []
    for e in sorted(examples, key=rank):
        (rest if (e.old, e.new) in seen else first).append(e)
        seen.add((e.old, e.new))
    return (first + rest)[:MAX_EXAMPLES]


def _what_differs(x: tuple, y: tuple) -> list[tuple[str, str, str]]:
    if x[0] != "decided" or y[0] != "decided":
        return [("case validation" if "refused" in (x[0], y[0]) else "decision", _show(x), _show(y))]
    only = x[1] ^ y[1]
    out = []
    for pid in sorted({r[1] for r in only if r[0] in ("verdict", "status", "gap")}):
        old, new = _verdict(x[1], pid), _verdict(y[1], pid)
        if old == new:  # the same verdict: different criterion statuses, or different facts to ask for
            old, new = _statuses(x[1], y[1], pid, old)
        out.append((pid, old, new))
    if any(r[0] == "code" for r in only):
        out.append(("code notes", _notes(x[1]), _notes(y[1])))
    if not out:
        out.append(("decision", _show(x), _show(y)))
    return out


def _verdict(rows: frozenset, pid: str) -> str:
    return " and ".join(sorted(r[2] for r in rows if r[0] == "verdict" and r[1] == pid)) or "not a candidate"


def _statuses(xo: frozenset, xn: frozenset, pid: str, verdict: str) -> tuple[str, str]:
    def mine(rows):
        return {r for r in rows if r[0] in ("status", "gap") and r[1] == pid}
    so, sn = mine(xo), mine(xn)
    keys = sorted({r[2] for r in so ^ sn})

    def show(side):
        status = {r[2]: r[3] for r in side if r[0] == "status"}
        needs = {r[2]: r[3] for r in side if r[0] == "gap"}
        parts = [f"{k} {status[k]}" + (f" (needs {needs[k]})" if k in needs else "") if k in status
                 else f"{k} not a criterion" for k in keys]
        return f"{verdict} with " + ", ".join(parts)
    return show(so), show(sn)


def _notes(rows: frozenset) -> str:
    return ", ".join(f"{r[1]} {r[2]}" for r in sorted(rows) if r[0] == "code") or "no code note"


def _show(x: tuple) -> str:
    if x[0] == "decided":  # every decision the kb derived (a broken kb may derive two)
        return " and ".join(sorted(r[1] for r in x[1] if r[0] == "decision")) or "no decision"
    return f"{x[0]}: {x[1]}"


def report_text(r: DiffReport) -> str:
    lines = [f"laro-kb diff: {r.old} -> {r.new}"]
    if r.identical:
        lines.append("No change: the two versions have the same statements (modulo order, repeats, files and "
                     "comments) and the same policy text.")
        return "\n".join(lines)
    if r.statements:
        lines.append(f"{len(r.statements)} statements differ ({', '.join(r.touched)}):")
        lines += [f"  {c.sign} {c.where}  {c.text}" for c in r.statements[:20]]
        if len(r.statements) > 20:
            lines.append(f"  ... and {len(r.statements) - 20} more")
    if r.policy_changed:
        lines.append("The policy text (kb/policy/) differs: run laro-kb check to compare the pathways' text with it.")
    if r.proof:
        lines.append(f"Decisions: proved unchanged ({r.proof}).")
        return "\n".join(lines)
    lines += [f"error: {e}" for e in r.errors]
    for p in r.pathways:
        lines.append(f"{p.pathway}: {p.differing} of {r.compared} compared patients decided differently")
        for e in p.examples:
            lines.append(f"  e.g. {e.old} -> {e.new}: {_facts(e.case)}  [{e.source}]")
    built = "; ".join(r.sources)
    if r.pathways:
        lines.append(f"Decisions change: {len(r.pathways)} pathways or notes differ, among {r.compared} patients "
                     f"compared (built from {built}).")
    else:
        lines.append(f"Decisions compared for {r.compared} patients built from {built}: none differs; not proven.")
    return "\n".join(lines)


def _facts(case: Case) -> str:
    from ..knowledge.vocabulary import show_value
    return ", ".join(f"{f}={show_value(v)}" for f, v in case.values) or "(no facts)"


def report_json(r: DiffReport) -> dict:
    return {"old": r.old, "new": r.new, "no_change": r.no_change, "identical": r.identical,
            "decisions_proved_unchanged": r.decisions_proved_unchanged, "proof": r.proof,
            "statements": [{"sign": c.sign, "where": c.where, "text": c.text} for c in r.statements],
            "policy_changed": r.policy_changed, "touched": list(r.touched), "compared": r.compared,
            "sources": list(r.sources), "errors": list(r.errors),
            "pathways": [{"pathway": p.pathway, "status": p.status, "differing": p.differing,
                          "examples": [{"old": e.old, "new": e.new, "source": e.source, "case": e.case.as_dict()}
                                       for e in p.examples]} for p in r.pathways]}


def exit_status(r: DiffReport) -> int:
    """0 when nothing changed (proved), 1 otherwise."""
    return 0 if r.identical else 1


__all__ = ["diff", "DiffReport", "PathwayDiff", "Example", "StatementChange", "report_text", "report_json",
           "exit_status"]
