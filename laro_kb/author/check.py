"""``laro-kb check``: static checks of a knowledge base, before any of it runs.

Every finding names a severity (error, warning, info), the file and line, the pathway where there is one, and how
to fix it. The checks here read the parsed statements (laro_kb.knowledge.program) and the vocabulary the kb declares. The
semantic checks (witnesses, conflicts, subsumption, thresholds, code table) are in laro_kb.author.semantic.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.materialize import PATIENT_PREDICATES
from ..errors import KBError
from ..knowledge.pathways import ATOMIC, COMPOSITE, DIMENSIONS
from ..knowledge.program import MAX_BODY, Atom, Comparison, Fact, Rule, Var, parse_file
from .findings import Finding

SEVERITIES = ("error", "warning", "info")
STRUCTURAL = ("negation-cycle", "criterion-cycle", "derivation-cycle")  # a kb with these is not loaded
# predicates that laro_kb itself queries (the kb's interface to the library): defined but unused is fine for these
QUERIED = {"report/5", "decision/2", "verdict/3", "field/3", "term/3", "bounds/3", "step/2", "immutable/1", "is_a/2",
           "conflict/5", "subsection_of/2", "pathway/4", "policy_text/2", "section/4", "subsection/2",
           "subsection_heading/3", "policy/3", "reference/3", "label/2", "criterion_text/2", "indication/2", "eligibility/2",
           "setting/2", "line/2", "biomarker/2", "regimen/2", "exclusion/2", "code/3", "code_section/2",
           "code_subsection/2", "drug_code/1", "specialty/3", "authorization_months/2", "gap/4", "missing/3",
           "holds/2", "fails/2",
           "unknown/2", "off_indication/2", "closed/2", "open_/2", "assessed/4", "needs/3", "status/4",
           "candidate/2", "criterion/1", "reads/2", "part/2", "form/2", "is_/3", "at_least/3", "more_than/3",
           "at_most/3", "less_than/3", "any_/2", "all_/2", "not_/2", "requires/2"}
# the drug table and the words of the vocabulary (laro_kb/knowledge/vocabulary.py reads them)
QUERIED |= {"drug/2", "drug_class/2", "rxnorm/2", "brand/2", "drug_regimen/2", "component/2", "history_list/1",
            "synonym/3", "positive_word/1", "negative_word/1"}
# the derivations (laro_kb/knowledge/pathways.py reads them with their words)
DERIVING = ("implied/2", "ruled_out/2")
QUERIED |= {*DERIVING, "unless/2", "derivation_text/3", "derivation_reason/3"}
OPTIONAL = {*DERIVING, "unless/2"}  # read by kb/logic.dl's rules, but a kb may state none of them (no derivation)
FORMS = tuple(ATOMIC) + tuple(COMPOSITE)  # is_, at_least, more_than, at_most, less_than, any_, all_, not_
LINKS = DIMENSIONS


def parse_all(files: list[Path]) -> tuple[list, list[Finding]]:
    """Parse every file; a file that is not Datalog is an error finding and none of it is used."""
    statements, findings = [], []
    for path in files:
        try:
            statements.extend(parse_file(path))
        except KBError as exc:
            findings.append(Finding("error", "not-datalog", exc.message,
                                    "kb files hold only Datalog facts ('+ p(a)') and rules ('h(X) <= b(X)') of at "
                                    f"most {MAX_BODY} literals; remove the Python, and split a longer rule into "
                                    "rules that name its parts", str(path), exc.line))
    return statements, findings


def static_findings(statements: list, kb=None) -> list[Finding]:
    """Checks of the parsed statements; with a loaded ``kb``, also of criteria against its vocabulary."""
    out: list[Finding] = []
    out += _predicates(statements)
    out += _rule_safety(statements)
    out += _duplicates(statements)
    facts = _facts_by_key(statements)
    if kb is not None:
        out += _criteria(facts, kb)
    out += _citations(facts)
    return out


def _where(st) -> dict:
    return {"file": st.file, "line": st.line}


def _predicates(statements) -> list[Finding]:
    defined: dict[str, object] = {}
    used: dict[str, object] = {}
    for st in statements:
        head = st.atom if isinstance(st, Fact) else st.head
        defined.setdefault(head.key, st)
        if isinstance(st, Rule):
            for lit in st.body:
                if isinstance(lit, Atom):
                    used.setdefault(lit.key, (st, lit))
    names = {k.rsplit("/", 1)[0] for k in defined}
    out = []
    for key, (st, lit) in sorted(used.items()):
        if key in defined or key in PATIENT_PREDICATES or (key in OPTIONAL and not lit.negated):
            continue
        name = key.rsplit("/", 1)[0]
        arities = sorted(k for k in defined if k.rsplit("/", 1)[0] == name)
        if arities:
            out.append(Finding("error", "arity-mismatch", f"{lit} is used with {len(lit.args)} arguments, but "
                               f"{name} is defined as {', '.join(arities)}",
                               f"give {name} the arity of its definition", **_where(st)))
        elif lit.negated:
            out.append(Finding("error", "negation-undefined", f"{lit} negates a predicate that has no facts or rules "
                               "(it raises at query time)", _suggest(name, names, "define it or fix the name"),
                               **_where(st)))
        else:
            out.append(Finding("error", "undefined-predicate", f"{name}/{len(lit.args)} is used in a rule but never "
                               "defined, so the rule can never fire", _suggest(name, names, "define it"),
                               **_where(st)))
    for key, st in sorted(defined.items()):
        if key not in used and key not in QUERIED:
            out.append(Finding("warning", "unused-predicate", f"{key} is defined but no rule uses it and laro-kb "
                               "does not query it", "remove it, or use it in a rule (a misspelt name?)",
                               **_where(st)))
    return out


def _suggest(name: str, names, otherwise: str) -> str:
    match = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else otherwise


def _rule_safety(statements) -> list[Finding]:
    out = []
    for st in statements:
        if not isinstance(st, Rule):
            continue
        counts: dict[str, int] = {}
        for term in [a for a in st.head.args] + [t for lit in st.body for t in lit.terms]:
            if isinstance(term, Var):
                counts[term.name] = counts.get(term.name, 0) + 1
        for name, n in sorted(counts.items()):
            if n == 1 and not name.startswith("_"):
                out.append(Finding("warning", "singleton-variable", f"variable {name} appears only once in {st}",
                                   f"name it _{name} if it is meant to be unused, or fix the misspelling",
                                   **_where(st)))
        bound: set[str] = set()
        for lit in st.body:
            names = {t.name for t in lit.terms if isinstance(t, Var)}
            if isinstance(lit, Comparison) or lit.negated:
                unbound = sorted(names - bound)
                if unbound:
                    what = "comparison" if isinstance(lit, Comparison) else "negation"
                    out.append(Finding("error", f"unbound-{what}", f"{lit} comes before {', '.join(unbound)} "
                                       f"is bound in {st.head} (the {what} then fails or raises)",
                                       "move it after a positive literal that binds its variables", **_where(st)))
            else:
                bound |= names
        for name in sorted({t.name for t in st.head.args if isinstance(t, Var)} - bound):
            out.append(Finding("warning", "unbound-head", f"head variable {name} of {st.head} is bound by no body "
                               "literal", "bind it in the body", **_where(st)))
    return out


def _duplicates(statements) -> list[Finding]:
    out, seen = [], {}
    pathway_ids: dict[str, Fact] = {}
    for st in statements:
        key = (st.atom,) if isinstance(st, Fact) else (st.head, st.body)
        if key in seen:
            first = seen[key]
            kind = "fact" if isinstance(st, Fact) else "rule"
            out.append(Finding("warning", f"duplicate-{kind}", f"this {kind} repeats {Path(first.file).name}:"
                               f"{first.line}", "delete one of them", **_where(st)))
        else:
            seen[key] = st
        if isinstance(st, Fact) and st.atom.key == "pathway/4":
            pid = st.values[0]
            if pid in pathway_ids:
                first = pathway_ids[pid]
                out.append(Finding("error", "duplicate-pathway", f"pathway {pid} is declared again (first at "
                                   f"{Path(first.file).name}:{first.line})", "give each pathway one declaration and "
                                   "a unique id", pathway=pid, **_where(st)))
            pathway_ids.setdefault(pid, st)
    return out


class _Facts(dict):
    """The facts of a kb by predicate (``name/arity``), each list in the kb's order."""

    def __call__(self, key: str) -> list[Fact]:
        return self.get(key, [])


def _facts_by_key(statements) -> _Facts:
    out = _Facts()
    for st in statements:
        if isinstance(st, Fact):
            out.setdefault(st.atom.key, []).append(st)
    return out


def _criteria(facts: _Facts, kb) -> list[Finding]:
    vocabulary = kb.vocabulary
    out = []
    forms: dict[str, set] = {}
    first: dict[str, Fact] = {}
    for form in FORMS:
        for st in facts(f"{form}/{3 if form in FORMS[:5] else 2}"):
            k = st.values[0]
            forms.setdefault(k, set()).add(form)
            first.setdefault(k, st)
            if form in FORMS[:5]:
                out += _vocabulary_term(st, form, vocabulary)
    for k, fs in sorted(forms.items()):
        if len(fs) > 1:
            out.append(Finding("error", "mixed-forms", f"criterion {k} is defined as {' and '.join(sorted(fs))}",
                               "give each criterion one form; combine with any_/all_", **_where(first[k])))
    defined = set(forms)
    labels = {st.values[0] for st in facts("label/2")}
    for k in sorted(defined - labels):
        out.append(Finding("warning", "missing-label", f"criterion {k} has no label",
                           f"add + label('{k}', '...') so explanations can name it", **_where(first[k])))
    engine_defined = defined | set(kb.criteria)  # criteria made by rules (section_indication ...) too
    refs = [(st, st.values[1]) for link in LINKS for st in facts(f"{link}/2")]
    refs += [(st, st.values[1]) for form in ("any_", "all_", "not_") for st in facts(f"{form}/2")]
    refs += [(st, st.values[1]) for st in facts("section_eligibility/2")]
    refs += [(st, v) for key in (*DERIVING, "unless/2", "derivation_text/3", "derivation_reason/3")
             for st in facts(key) for v in st.values[:2]]
    refs += [(st, st.values[1]) for st in facts("section_indication/2")]
    pathways = {st.values[0] for st in facts("pathway/4")} | set(kb.pathways)
    for link in LINKS + ("subsection", "policy_text"):
        for st in facts(f"{link}/2"):
            if st.values[0] not in pathways:
                out.append(Finding("error", "undefined-pathway", f"{st.atom} names pathway {st.values[0]!r}, which is "
                                   "not declared, so the fact is never used", _suggest(str(st.values[0]), pathways,
                                                                                       "declare it with + pathway(...)"),
                                   **_where(st)))
    for st, k in refs:
        if k not in engine_defined:
            out.append(Finding("error", "undefined-criterion", f"{st.atom} names criterion {k!r}, which is not "
                               "defined, so it can never be met", _suggest(k, engine_defined, "define the criterion"),
                               pathway=st.values[0] if "." in str(st.values[0]) else None, **_where(st)))
    return out


def _vocabulary_term(st: Fact, form: str, vocabulary) -> list[Finding]:
    k, field, value = st.values
    f = vocabulary.fields.get(field)
    if f is None:
        return [Finding("error", "unknown-field", f"criterion {k} reads {field!r}, which is not a declared field",
                        _suggest(field, vocabulary.fields, "declare it with + field(...)"), **_where(st))]
    if form != "is_":
        if f.type != "int" or isinstance(value, bool) or not isinstance(value, (int, float)):
            return [Finding("error", "bad-bound", f"criterion {k} compares {field} ({f.type}) with {value!r}",
                            "numeric bounds need an int field and a number", **_where(st))]
        return []
    if f.type == "bool":
        if not isinstance(value, bool):
            return [Finding("error", "unknown-term", f"criterion {k} tests bool field {field} for {value!r}",
                            "use True or False", **_where(st))]
    elif f.type in ("term", "terms"):
        if value not in f.term_names():
            return [Finding("error", "unknown-term", f"criterion {k} tests {field} for {value!r}, which is not one "
                            f"of its terms", _suggest(str(value), f.term_names(), "declare it with + term(...)"),
                            **_where(st))]
    else:
        return [Finding("error", "bad-criterion", f"criterion {k} tests {f.type} field {field}",
                        "criteria read term, terms, bool or int fields", **_where(st))]
    return []


def _citations(facts: _Facts) -> list[Finding]:
    out = []
    texts = {st.values[0] for st in facts("policy_text/2") if str(st.values[1]).strip()}
    sections = {st.values[0]: st for st in facts("section/4")}
    refs = {st.values[0] for st in facts("reference/3")}
    for st in facts("pathway/4"):
        pid, sec = st.values[0], st.values[1]
        if pid not in texts:
            out.append(Finding("error", "missing-text", f"pathway {pid} has no policy text",
                               f"add + policy_text('{pid}', '<the criterion, word for word>')", pathway=pid,
                               **_where(st)))
        if sec not in sections:
            out.append(Finding("error", "missing-citation", f"pathway {pid} belongs to section {sec!r}, which has no "
                               "section/4 fact naming its source", "add + section(S, Heading, 'nccn'|'fda', n)",
                               pathway=pid, **_where(st)))
    out += _derivation_citations(facts)
    for sec, st in sorted(sections.items()):
        _, _, kind, ref = st.values
        if kind in ("nccn", "fda") and ref not in refs:
            out.append(Finding("error", "missing-citation", f"section {sec} cites reference {ref}, which is not in "
                               "the references", f"add + reference({ref}, '<citation>', '<url>')", **_where(st)))
        elif kind not in ("nccn", "fda", "policy"):
            out.append(Finding("error", "missing-citation", f"section {sec} has source kind {kind!r}",
                               "the source kind is 'nccn', 'fda' or 'policy'", **_where(st)))
    return out


def _derivation_citations(facts: _Facts) -> list[Finding]:
    """Every derivation cites the policy's words it rests on and says why, in words a reviewer reads; and the
    words belong to a derivation."""
    out = []
    texts = {tuple(st.values[:2]) for st in facts("derivation_text/3") if str(st.values[2]).strip()}
    reasons = {tuple(st.values[:2]) for st in facts("derivation_reason/3") if str(st.values[2]).strip()}
    derivations = {tuple(st.values): st for key in DERIVING for st in facts(key)}
    for (k, s), st in sorted(derivations.items()):
        lacking = [(what, fill) for what, have, fill in (
            ("derivation_text", texts, "the policy's words, word for word"),
            ("derivation_reason", reasons, "why, in a reviewer's words")) if (k, s) not in have]
        if lacking:
            out.append(Finding("error", "derivation-without-citation", f"{st.atom} derives criterion {k} from {s} "
                               f"with no {' and no '.join(w for w, _ in lacking)}",
                               "add " + " and ".join(f"+ {w}('{k}', '{s}', '<{fill}>')" for w, fill in lacking),
                               **_where(st)))
    for key in ("derivation_text/3", "derivation_reason/3"):
        for st in facts(key):
            if tuple(st.values[:2]) not in derivations:
                out.append(Finding("error", "citation-without-derivation", f"{st.atom} cites a derivation of "
                                   f"{st.values[0]} from {st.values[1]} that no implied/2 or ruled_out/2 fact "
                                   "declares", "declare the derivation, or correct the criterion ids", **_where(st)))
    return out


def run_static(directory) -> tuple[list[Finding], object]:
    """Parse and check a kb directory; returns the findings and the loaded kb (None if it could not load).

    A kb with a structural error (recursion through negation, a criterion that is a part of itself) is not loaded:
    it has no meaning, and loading it could recurse without end."""
    from ..knowledge.files import kb_files
    from ..knowledgebase import KnowledgeBase
    from .structure import structure_findings
    statements, findings = parse_all(kb_files(Path(directory)))
    kb = None
    if not findings:
        findings += structure_findings(statements)
        if not any(f.code in STRUCTURAL for f in findings):
            try:
                kb = KnowledgeBase(directory)
            except (KBError, RecursionError) as exc:
                findings.append(Finding("error", "kb-does-not-load", getattr(exc, "message", None) or
                                        "loading the kb recursed without end", "fix the rule or fact named, then "
                                        "check again", getattr(exc, "file", None), getattr(exc, "line", None)))
    return findings + static_findings(statements, kb), kb


@dataclass(frozen=True)
class Report:
    directory: str
    findings: tuple[Finding, ...]
    pathways: int = 0
    statements: int = 0
    kb: object = field(default=None, compare=False, repr=False)  # the loaded kb (None: it could not be loaded)

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0


def run_check(directory, reference=None) -> Report:
    """Every static and semantic check of a kb directory (semantic ones only when it loads without errors). A
    :class:`~laro_kb.author.reference.WitnessReference` of another version of the kb lends the witnesses its edit
    cannot change (the findings are the same, found sooner)."""
    from .semantic import semantic_findings
    findings, kb = run_static(directory)
    if kb is not None and not any(f.severity == "error" for f in findings):
        try:
            findings += semantic_findings(kb, reference)
        except RecursionError:
            findings.append(Finding("error", "kb-recursion", "the semantic checks recursed without end on this kb "
                                    "(a criterion that leads back to itself?)", "fix the cycle, then check again"))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], f.file or "", f.line or 0, f.code, f.message))
    return Report(str(directory), tuple(findings), len(kb.pathways) if kb else 0, len(kb.statements) if kb else 0,
                  kb)


__all__ = ["Finding", "Report", "parse_all", "static_findings", "run_static", "run_check", "SEVERITIES"]
