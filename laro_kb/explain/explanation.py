"""Why and why-not: explanations built from derivation traces.

For each pathway to explain, :func:`explain` asks the :class:`~laro_kb.explain.trace.Tracer` for the proof of its
``verdict/3`` and of each criterion's ``status/4``. The evidence comes from those proofs: the patient facts at the
leaves and the comparisons made. A criterion that is not met also shows the documented value that contradicts it.
An unknown criterion shows the fields that are missing (the proof of ``missing/3``). A criterion that the policy's
words settle from another (its proof uses an ``implied`` or ``ruled_out`` fact) carries that derivation, with the
explanation of the criterion it follows from. No text here belongs to any one criterion. Labels, policy wording,
the reasons of derivations and citations are kb facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..case.model import Case
from ..knowledge.pathways import DERIVATIONS, DISPLAY_ORDER, Criterion, Derivation, Pathway, Policy
from .repair import Change, Repairer
from .trace import TraceNode, Tracer

SCHEMA = "laro-kb/explanation/1"
CID = "#explain"
STATUS_OF = {"met": "met", "not_met": "not met", "unknown": "unknown", "excluded": "excluded", "clear": "clear"}


@dataclass(frozen=True)
class Evidence:
    field: str
    value: object
    written: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (term, the names the user wrote for it), where any


@dataclass(frozen=True)
class CriterionExplanation:
    criterion: str
    dimension: str
    status: str  # met, not_met, unknown (exclusions: excluded, clear, unknown)
    label: str
    rule: str  # the criterion's form in words, e.g. "patient.age >= 18"
    text: Optional[str]  # the policy's own words for it, where the kb has them
    facts: tuple[Evidence, ...]  # patient facts in its proof (or, when not met, the documented values it read)
    comparisons: tuple[str, ...]  # e.g. "58 >= 18"
    missing: tuple[str, ...]  # undocumented fields that could settle it
    parts: tuple["CriterionExplanation", ...]  # for any-of / all-of / not criteria
    proof: Optional[TraceNode]
    derived: Optional["Derived"] = None  # settled by derivation from another criterion, not by its own fields
    blocked: tuple["Blocked", ...] = ()  # derivations whose source holds but which do not apply, and why

    @property
    def documented_not_met(self) -> bool:
        return self.status in ("not_met", "excluded")


@dataclass(frozen=True)
class Derived:
    """A criterion settled by derivation (kb/logic.dl ``implied/2``, ``ruled_out/2``): the policy's words imply its
    status from ``source``, which holds, while none of its own fields is documented."""
    derivation: Derivation
    source: CriterionExplanation  # the criterion it follows from, with the facts that meet it


@dataclass(frozen=True)
class Blocked:
    """A derivation that would settle a criterion, whose source holds, but which does not apply: a criterion of its
    ``unless`` holds (``by``: "primary treatment" is not inferred from first-line therapy once progression on
    systemic therapy is documented), or the criterion's own fields are documented (``documented``), which then
    decide it. Shown where it explains something: always for ``by``, and for documented fields when the criterion
    is still unknown."""
    derivation: Derivation
    source: CriterionExplanation  # the criterion it would follow from, which holds
    by: Optional[CriterionExplanation]  # the criterion of ``unless`` that holds
    documented: tuple[str, ...] = ()  # the criterion's own fields that the case documents


@dataclass(frozen=True)
class PathwayExplanation:
    pathway: Pathway
    verdict: str
    criteria: tuple[CriterionExplanation, ...]
    change: Optional[Change]  # the smallest documentation change that would approve it (None if approved)
    proof: TraceNode  # the derivation of verdict(case, pathway, verdict)

    @property
    def id(self) -> str:
        return self.pathway.id

    def closeness(self) -> tuple:
        order = {"approved": 0, "pending": 1, "denied": 2}
        failing = sum(c.documented_not_met for c in self.criteria)
        unknown = sum(c.status == "unknown" for c in self.criteria)
        return (order[self.verdict], failing, unknown, len(self.change.sets) if self.change else 0, self.pathway.id)


@dataclass(frozen=True)
class Explanation:
    case: Case
    outcome: str
    pathways: tuple[PathwayExplanation, ...]  # closest to approval first
    policy: Policy  # the policy the kb encodes (its policy/3 fact), which the decision is made under
    schema: str = SCHEMA


def explain(kb, case: Case, pathway_ids: Optional[list[str]] = None, changes: bool = True) -> Explanation:
    """Explain the decision on ``case``: every candidate pathway, or only ``pathway_ids`` (candidates or not).

    ``changes=False`` skips the search for the smallest approving change (the proofs are the same)."""
    tracer = Tracer(kb.program, case.facts(CID, kb.vocabulary))
    outcome = [a[1] for a, _ in tracer.prove("decision", CID, None)]
    verdicts = {a[1]: (a[2], node) for a, node in tracer.prove("verdict", CID, None, None)}
    ids = list(pathway_ids) if pathway_ids else list(verdicts)
    repairer = Repairer(kb)
    out = []
    for pid in ids:
        pathway = kb.pathway(pid)
        verdict, node = verdicts.get(pid) or _off_indication(tracer, pid)
        criteria = tuple(_criterion(kb, tracer, case, pid, k, dim)
                         for k, dim in sorted(_links(kb, pid), key=lambda kd: (DISPLAY_ORDER.get(kd[1], 9), kd[0])))
        change = None
        if verdict != "approved" and changes:
            statuses = {c.criterion: c.status for c in criteria}
            change = repairer.for_pathway(case, pid, statuses,
                                          {c.criterion for c in criteria if c.dimension == "exclusion"})
        out.append(PathwayExplanation(pathway, verdict, criteria, change, node))
    return Explanation(case, outcome[0] if outcome else "deny", tuple(sorted(out, key=PathwayExplanation.closeness)),
                       kb.policy)




def _links(kb, pid: str) -> list[tuple[str, str]]:
    return [(k, dim) for (p, k), dim in kb.links.items() if p == pid]


def _off_indication(tracer: Tracer, pid: str) -> tuple[str, TraceNode]:
    """A pathway that is not a candidate: its indication criterion is not met (the proof of off_indication/2)."""
    node = tracer.proof("off_indication", CID, pid)
    if node is not None:
        return "denied", node
    # not a candidate only because candidates are indexed by section: it is open or closed on its criteria
    closed = tracer.proof("closed", CID, pid)
    if closed is not None:
        return "denied", closed
    open_ = tracer.proof("open_", CID, pid)
    if open_ is not None:
        return "pending", open_
    return "approved", TraceNode(tracer.proof("pathway", pid, None, None, None).goal, "fact")


def _criterion(kb, tracer: Tracer, case: Case, pid: Optional[str], k: str, dim: str) -> CriterionExplanation:
    crit: Optional[Criterion] = kb.criteria.get(k)
    exclusion = dim == "exclusion"
    holds = tracer.proof("holds", CID, k)
    fails = None if holds else tracer.proof("fails", CID, k)
    if holds:
        status, proof = ("excluded" if exclusion else "met"), holds
    elif fails:
        status, proof = ("clear" if exclusion else "not_met"), fails
    else:
        status, proof = "unknown", tracer.proof("unknown", CID, k)
    facts = _facts(proof)
    if status in ("not_met", "clear") and crit is not None and crit.field and not facts:
        # an is_ criterion fails on what the field documents: show those values
        facts = tuple(Evidence(crit.field, v) for f, v in case.values if f == crit.field) or \
            ((Evidence(crit.field, ()),) if crit.field in dict(case.values) or _documented_empty(tracer, crit.field)
             else ())
    facts = tuple(_as_written(case, e) for e in facts)
    missing = tuple(sorted({a[2] for a, _ in tracer.prove("missing", CID, k, None)})) if status == "unknown" else ()
    parts = tuple(_criterion(kb, tracer, case, None, p, "part")
                  for p in (crit.parts if crit else ()))
    derived = _derived(kb, tracer, case, k, proof)
    blocked = _blocked(kb, tracer, case, k, status) if derived is None else ()
    return CriterionExplanation(k, dim, status, crit.label if crit else k, crit.describe() if crit else k,
                                crit.text if crit else None, facts, _comparisons(proof), missing, parts, proof,
                                derived, blocked)


def _derived(kb, tracer: Tracer, case: Case, k: str, proof: Optional[TraceNode]) -> Optional[Derived]:
    """How ``k`` was settled by derivation: the ``implied``/``ruled_out`` fact its proof used (None: by its form)."""
    if proof is None or proof.kind != "rule":
        return None
    for child in proof.children:
        if child.kind == "fact" and child.goal.pred in DERIVATIONS and child.goal.args[0].value == k:
            kind, source = child.goal.pred, child.goal.args[1].value
            derivation = next((d for d in kb.derivations.get(k, ()) if d.kind == kind and d.source == source),
                              Derivation(k, kind, source, (), ""))
            return Derived(derivation, _criterion(kb, tracer, case, None, source, "source"))
    return None


def _blocked(kb, tracer: Tracer, case: Case, k: str, status: str) -> tuple[Blocked, ...]:
    """The derivations of ``k`` whose source holds but which the trace shows blocked (logic.dl ``blocked/2``), with
    what blocks each: a criterion of its ``unless`` that holds, or ``k``'s own documented fields."""
    derivations = kb.derivations.get(k, ())
    if not derivations or not tracer.proof("blocked", CID, k):
        return ()
    out = []
    for d in derivations:
        if not tracer.proof("holds", CID, d.source):
            continue
        by = next((b for b in d.unless if tracer.proof("holds", CID, b)), None)
        documented = () if by is not None else tuple(sorted({f for (_, f), _ in tracer.prove("depends_on", k, None)
                                                             if tracer.prove("known", CID, f)}))
        if by is None and (status != "unknown" or not documented):
            continue  # its own documented fields decided it: nothing to explain
        out.append(Blocked(d, _criterion(kb, tracer, case, None, d.source, "source"),
                           _criterion(kb, tracer, case, None, by, "blocker") if by is not None else None,
                           documented))
    return tuple(out)


def _as_written(case: Case, e: Evidence) -> Evidence:
    """The evidence with the names the user wrote for its terms (pembrolizumab for checkpoint_inhibitor)."""
    terms = e.value if isinstance(e.value, tuple) else (e.value,)
    written = tuple((t, names) for t in terms for names in [case.written_as(e.field, t)] if names)
    return Evidence(e.field, e.value, written) if written else e


def _documented_empty(tracer: Tracer, field: str) -> bool:
    return bool(tracer.prove("known", CID, field))


def _facts(proof: Optional[TraceNode]) -> tuple[Evidence, ...]:
    if proof is None:
        return ()
    seen = []
    for node in proof.walk():
        if node.kind == "case" and node.goal.pred == "val":
            ev = Evidence(node.goal.args[1].value, node.goal.args[2].value)
            if ev not in seen:
                seen.append(ev)
    return tuple(seen)


def _comparisons(proof: Optional[TraceNode]) -> tuple[str, ...]:
    if proof is None:
        return ()
    out = []
    for node in proof.walk():
        if node.kind == "compare":
            c = node.comparison
            text = f"{c.left.value} {c.op} {c.right.value}"
            if text not in out:
                out.append(text)
    return tuple(out)
