"""Pathways and criteria as the knowledge base describes them, with their citations.

Everything here is read from kb facts: ``policy/3``, ``pathway/4``, ``policy_text/2``,
``section/4``, ``subsection/2``, ``subsection_heading/3``, ``reference/3``,
the dimension links (``indication/2`` ... ``exclusion/2``), ``label/2`` and
``criterion_text/2``, the criterion forms (``is_/3``, ``at_least/3``, ...), and the derivations (``implied/2``,
``ruled_out/2``, ``unless/2``, ``derivation_text/3``, ``derivation_reason/3``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from ..errors import KBError
from .vocabulary import show_value

DIMENSIONS = ("indication", "eligibility", "setting", "line", "biomarker", "regimen", "exclusion")
# the order in which a pathway's criteria are listed in decisions and explanations
DISPLAY_ORDER = {d: i for i, d in enumerate(("indication", "eligibility", "biomarker", "setting", "line", "regimen",
                                             "exclusion"))}
ATOMIC = {"is_": "is", "at_least": ">=", "more_than": ">", "at_most": "<=", "less_than": "<"}
COMPOSITE = {"any_": "any of", "all_": "all of", "not_": "not"}


@dataclass(frozen=True)
class Source:
    kind: str  # 'nccn', 'fda' or 'policy'
    reference: int
    citation: str
    url: str = ""

    def __str__(self) -> str:
        if self.kind == "nccn":
            return f"NCCN Guidelines, policy reference {self.reference}"
        if self.kind == "fda":
            return f"FDA label, policy reference {self.reference}"
        return "the policy itself (Authorization Period and Renewal Criteria)"


@dataclass(frozen=True)
class Policy:
    """The policy the kb encodes, as its heading prints it (``policy/3`` in kb/references.dl)."""
    title: str
    version: str
    effective: str  # ISO 8601 date

    @property
    def effective_date(self) -> date:
        return date.fromisoformat(self.effective)

    def __str__(self) -> str:
        d = self.effective_date
        return f"{self.title}, version {self.version}, effective {d.month}/{d.day}/{d.year}"


def read_policy(engine) -> Policy:
    rows = engine.ask("policy", None, None, None)
    if len(rows) != 1:
        raise KBError(f"the kb must declare its policy once, as policy(Title, Version, EffectiveDate); it declares "
                      f"{len(rows)}", file="references.dl")
    policy = Policy(*map(str, rows[0]))
    try:
        policy.effective_date
    except ValueError:
        raise KBError(f"policy/3: the effective date {policy.effective!r} is not an ISO 8601 date (YYYY-MM-DD)",
                      file="references.dl") from None
    return policy


@dataclass(frozen=True)
class Pathway:
    id: str
    section: str
    section_heading: str
    subsection: Optional[str]
    subsection_heading: Optional[str]
    number: int
    option: str
    text: str
    source: Optional[Source]

    @property
    def heading(self) -> str:
        return self.section_heading + (f" / {self.subsection_heading}" if self.subsection_heading else "")

    @property
    def citation(self) -> str:
        where = f"{self.heading}, criterion {self.number}{self.option}"
        return f"{where}; {self.source}" if self.source else f"{where}; no source recorded"


@dataclass(frozen=True)
class Criterion:
    id: str
    form: str  # is_, at_least, ..., any_, all_, not_
    field: Optional[str]  # for atomic forms
    values: tuple  # the terms or the bound
    parts: tuple[str, ...]  # for composite forms
    label: str
    text: Optional[str]  # the policy's own words, where the criterion has them

    def describe(self) -> str:
        if self.form == "is_":
            return f"{self.field} is {' or '.join(show_value(v) for v in self.values)}"
        if self.form in ATOMIC:
            return f"{self.field} {ATOMIC[self.form]} {self.values[0]}"
        return f"{COMPOSITE[self.form]} ({', '.join(self.parts)})"


def read_pathways(engine) -> dict[str, Pathway]:
    sections = {s: (t, k, r) for s, t, k, r in engine.ask("section", None, None, None, None)}
    refs = {n: (t, u) for n, t, u in engine.ask("reference", None, None, None)}
    texts = dict(engine.ask("policy_text", None, None))
    subs = dict(engine.ask("subsection", None, None))
    sub_heads = {u: t for u, s, t in engine.ask("subsection_heading", None, None, None)}
    out = {}
    for pid, sec, num, opt in sorted(engine.ask("pathway", None, None, None, None), key=_order):
        heading, kind, ref = sections.get(sec, (sec, None, None))
        source = None
        if kind is not None:
            cite, url = refs.get(ref, ("", ""))
            source = Source(kind, ref, cite, url)
        out[pid] = Pathway(pid, sec, heading, subs.get(pid), sub_heads.get(subs.get(pid)), num, opt,
                           texts.get(pid, ""), source)
    return out


def read_criteria(engine) -> dict[str, Criterion]:
    labels = dict(engine.ask("label", None, None))
    texts = dict(engine.ask("criterion_text", None, None))
    atoms: dict[str, tuple] = {}
    for form in ATOMIC:
        for k, f, v in engine.ask(form, None, None, None):
            prev = atoms.get(k, (form, f, ()))
            atoms[k] = (form, f, tuple(sorted(prev[2] + (v,), key=repr)))
    parts: dict[str, tuple] = {}
    for form in COMPOSITE:
        for k, s in engine.ask(form, None, None):
            prev = parts.get(k, (form, ()))
            parts[k] = (form, tuple(sorted(prev[1] + (s,))))
    out = {}
    for k, (form, f, vals) in atoms.items():
        out[k] = Criterion(k, form, f, vals, (), labels.get(k, k), texts.get(k))
    for k, (form, ps) in parts.items():
        out[k] = Criterion(k, form, None, (), ps, labels.get(k, k), texts.get(k))
    return out


@dataclass(frozen=True)
class Derivation:
    """A criterion the policy's words settle from another (logic.dl's ``implied/2`` and ``ruled_out/2``): ``criterion``
    is met (``kind`` 'implied') or not met ('ruled_out') when ``source`` holds, while none of its own fields is
    documented and no criterion of ``unless`` holds. ``texts`` are the policy's words it rests on
    (``derivation_text/3``), and ``reason`` says why in a reviewer's words (``derivation_reason/3``)."""
    criterion: str
    kind: str  # 'implied' or 'ruled_out'
    source: str
    texts: tuple[str, ...]
    reason: str
    unless: tuple[str, ...] = ()

    @property
    def settles(self) -> str:
        """What the derivation makes of its criterion: met, or not met."""
        return "met" if self.kind == "implied" else "not met"


DERIVATIONS = ("implied", "ruled_out")


def read_derivations(engine) -> dict[str, tuple[Derivation, ...]]:
    """criterion -> its derivations, each with the policy's words and the reason it rests on."""
    texts: dict[tuple, list] = {}
    for k, s, text in engine.ask("derivation_text", None, None, None):
        texts.setdefault((k, s), []).append(text)
    reasons = {(k, s): r for k, s, r in engine.ask("derivation_reason", None, None, None)}
    unless: dict[str, list] = {}
    for k, b in engine.ask("unless", None, None):
        unless.setdefault(k, []).append(b)
    out: dict[str, list] = {}
    for kind in DERIVATIONS:
        for k, s in engine.ask(kind, None, None):
            out.setdefault(k, []).append(Derivation(k, kind, s, tuple(sorted(texts.get((k, s), ()))),
                                                    reasons.get((k, s), ""), tuple(sorted(unless.get(k, ())))))
    return {k: tuple(sorted(ds, key=lambda d: (d.kind, d.source))) for k, ds in sorted(out.items())}


def read_links(engine) -> dict[tuple[str, str], str]:
    """(pathway, criterion) -> the dimension that links them."""
    links = {}
    for dim in DIMENSIONS:
        for p, k in engine.ask(dim, None, None):
            links.setdefault((p, k), dim)
    return links


def _order(row) -> tuple:
    pid, sec, num, opt = row
    return (sec, num, opt)
