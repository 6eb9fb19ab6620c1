"""Decisions are values: the outcome with every reason behind it.

``approve``, ``pend`` and ``deny`` are all answers. A :class:`Decision` lists
each candidate pathway (those of the patient's section and subsection, and the
FDA pathway) with its verdict and the three-valued status of each criterion,
exactly as the kb's ``verdict/3``, ``status/4`` and ``gap/4`` derived them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .case.model import Case
from .knowledge.pathways import Pathway, Policy

OUTCOMES = ("approve", "pend", "deny")
VERDICT_ORDER = {"approved": 0, "pending": 1, "denied": 2}


@dataclass(frozen=True)
class CriterionStatus:
    criterion: str
    dimension: str  # indication, eligibility, setting, line, biomarker, regimen, exclusion
    status: str  # met, not_met, unknown; for an exclusion: excluded, clear, unknown
    label: str
    missing: tuple[str, ...] = ()  # fields whose documentation could settle an unknown criterion
    derived_from: tuple[str, ...] = ()  # the criteria a derivation of the policy's words settled it from (none:
    # its own documented fields settled it, or nothing did)

    @property
    def blocking(self) -> bool:
        return self.status in ("not_met", "excluded")


@dataclass(frozen=True)
class PathwayResult:
    pathway: Pathway
    verdict: str  # approved, pending, denied
    criteria: tuple[CriterionStatus, ...]
    needs: tuple[str, ...] = ()  # fields to ask the prescriber for (pending only)

    @property
    def id(self) -> str:
        return self.pathway.id

    @property
    def failing(self) -> tuple[CriterionStatus, ...]:
        return tuple(c for c in self.criteria if c.blocking)

    @property
    def unknown(self) -> tuple[CriterionStatus, ...]:
        return tuple(c for c in self.criteria if c.status == "unknown")

    def closeness(self) -> tuple:
        """Sort key: approved first, then the fewest failing and unknown criteria."""
        return (VERDICT_ORDER[self.verdict], len(self.failing), len(self.unknown), self.pathway.id)


@dataclass(frozen=True)
class Audit:
    """What an auditor needs to reproduce a decision: the kb that made it (a hash of its files), the policy it
    encodes, when it was made (UTC, ISO 8601) and by which engine of which laro-kb."""
    kb_version: str
    policy: Policy
    decided_at: str
    engine: str  # sql or pydatalog
    laro_kb: str  # the package version


class Text(str):
    """Text that shows as itself at the Python prompt: ``d.why()`` returns the explanation as a string, and the
    interactive interpreter prints its lines rather than a quoted repr."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Decision:
    case: Case
    outcome: str
    pathways: tuple[PathwayResult, ...]  # closest to approval first
    authorization_months: Optional[int] = None
    code_notes: tuple[tuple[str, str], ...] = ()  # (ICD-10 code, 'not_listed' | 'other_section')
    kb: object = field(default=None, compare=False, repr=False)  # the KnowledgeBase that decided it
    asks: tuple[str, ...] = ()  # facts to ask for before any pathway of a section: diagnosis.section, when undocumented
    audit: Optional[Audit] = field(default=None, compare=False, repr=False)  # the same decision at another time is equal

    def explain(self, pathways=None):
        """The :class:`~laro_kb.explain.explanation.Explanation` of this decision (every candidate, or the pathways named)."""
        return self.kb.explain(self.case, pathways)

    def why(self, depth: int = 3, format: str = "text") -> Text:
        """Why: every candidate pathway, as ``laro-kb why`` writes it (``format``: text, markdown, json, letter or
        letter-html)."""
        return Text(self.kb.text(self.explain(), depth, format))

    def whynot(self, pathway: str, depth: int = 3, format: str = "text") -> Text:
        """Why ``pathway`` is or is not met, and what would change that, as ``laro-kb whynot`` writes it."""
        return Text(self.kb.text(self.explain([pathway]), depth, format))

    def _with(self, verdict: str) -> tuple[PathwayResult, ...]:
        return tuple(p for p in self.pathways if p.verdict == verdict)

    @property
    def approved(self) -> tuple[PathwayResult, ...]:
        return self._with("approved")

    @property
    def pending(self) -> tuple[PathwayResult, ...]:
        return self._with("pending")

    @property
    def denied(self) -> tuple[PathwayResult, ...]:
        return self._with("denied")

    @property
    def needs(self) -> dict[str, tuple[str, ...]]:
        """For a pend: pathway id -> the facts that could make it approvable."""
        return {p.id: p.needs for p in self.pending}

    def summary(self) -> "Summary":
        """The decision without its criteria: what a batch record carries."""
        return Summary(self.case, self.outcome,
                       tuple(sorted(((p.id, p.verdict) for p in self.pathways), key=verdict_order)),
                       tuple(sorted((p.id, p.needs) for p in self.pending)), self.authorization_months, self.asks,
                       self.audit)

    def __repr__(self) -> str:
        if self.outcome == "approve":
            detail = ", ".join(p.id for p in self.approved) + f"; {self.authorization_months} months"
        elif self.outcome == "pend":
            detail = "; ".join([f"asks for {', '.join(self.asks)}"] * bool(self.asks) +
                               [f"{p.id} needs {', '.join(p.needs)}" for p in self.pending])
        else:
            detail = f"{len(self.pathways)} candidate pathways, none can be met"
        return f"<Decision {self.outcome.upper()} case {self.case.id!r}: {detail}>"

    def __str__(self) -> str:
        """The text of ``laro-kb decide``, rendered by the KnowledgeBase that decided it."""
        return self.kb.text(self) if self.kb is not None else repr(self)


def verdict_order(item: tuple[str, str]) -> tuple:
    """Sort key of a (pathway id, verdict) pair: approved first, then pending, denied; then by id."""
    return (VERDICT_ORDER[item[1]], item[0])


@dataclass(frozen=True)
class Summary:
    """A decision without the status of each criterion: the outcome, each candidate pathway's verdict, what each
    pending pathway needs, and the authorization period. It is :meth:`Decision.summary` of the full decision, made
    without deriving the criteria (``KnowledgeBase.summarize_many``), for batch runs that record no more."""

    case: Case
    outcome: str
    verdicts: tuple[tuple[str, str], ...]  # (pathway id, verdict): approved first, then pending, denied; then by id
    needs: tuple[tuple[str, tuple[str, ...]], ...]  # (pending pathway id, the fields it needs), by id
    authorization_months: Optional[int] = None
    asks: tuple[str, ...] = ()  # facts to ask for before any pathway: diagnosis.section, when undocumented
    audit: Optional[Audit] = field(default=None, compare=False, repr=False)

    @property
    def approved(self) -> tuple[str, ...]:
        return tuple(p for p, v in self.verdicts if v == "approved")
