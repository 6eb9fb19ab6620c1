"""Renderers for decisions and pathways: text for people, JSON for machines.

The JSON form of a decision is documented in docs/decision-format.md
(``schema: laro-kb/decision/1``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from ..decision import Audit, Decision, PathwayResult
from ..knowledge.pathways import Pathway

DECISION_SCHEMA = "laro-kb/decision/1"
# the JSON Schema of a decision record (decide --json, batch records), shipped with the package
JSON_SCHEMA = Path(__file__).resolve().parent / "schemas" / "decision.schema.json"
MARK = {"met": "+", "not_met": "x", "unknown": "?", "excluded": "x", "clear": "+"}


def decision_text(d: Decision) -> str:
    lines = [f"Case {d.case.id}: {d.outcome.upper()}"]
    if d.outcome == "approve":
        lines.append(f"Authorization period: {d.authorization_months} months")
        lines.append("Approved under:")
        for p in d.approved:
            lines += _pathway_lines(d, p)
    elif d.outcome == "pend":
        if d.asks:
            lines.append("The cancer type is not documented: ask for it first (the policy section), then the facts "
                         "of that section's pathways.")
            lines.append(f"  ask for: {', '.join(d.asks)}")
        if d.pending:
            lines.append("No pathway is met on the documented facts; these could still be met if documented:")
        for p in d.pending:
            lines += _pathway_lines(d, p)
            lines.append(f"    ask for: {', '.join(p.needs)}")
    else:
        lines.append("No candidate pathway can be met, whatever the undocumented facts are.")
    others = [p for p in d.pathways if p.verdict != {"approve": "approved", "pend": "pending"}.get(d.outcome)]
    if others and d.outcome != "deny":
        lines.append("Other candidate pathways:")
    elif others:
        lines.append("Candidate pathways:")
    for p in others:
        failing = ", ".join(c.label for c in p.failing)
        lines.append(f"  {p.id} [{p.verdict}]" + (f": not met: {failing}" if failing else ""))
    lines += [f"Note: {code_note(code, kind)}" for code, kind in d.code_notes]
    lines += [f"Note: {derived_note(d, f, source)}" for f, source in d.case.derived]
    return "\n".join(lines)


def code_note(code: str, kind: str) -> str:
    if kind == "not_listed":
        return f"ICD-10 {code} is not in the policy's code table (the table may not be all-inclusive; no pathway reads it)"
    return f"ICD-10 {code} is listed in the policy's code table for another section than the case's"


def derived_note(d: Decision, name: str, source: str) -> str:
    return (f"{name} = {d.case.get(name)} is proposed by {source} = {d.case.get(source)} in the policy's code table "
            f"(not documented; document {name} if the cancer is another)")


def _pathway_lines(d: Decision, p: PathwayResult) -> list[str]:
    out = [f"  {p.id}  {p.pathway.heading}  ({p.pathway.citation})"]
    for c in p.criteria:
        extra = f"  [document: {', '.join(c.missing)}]" if c.missing else ""
        how = f", by derivation from: {'; '.join(_label(d, k) for k in c.derived_from)}" if c.derived_from else ""
        out.append(f"    {MARK.get(c.status, '?')} {c.dimension}: {c.label} ({c.status}{how}){extra}")
    return out


def _label(d: Decision, k: str) -> str:
    """A criterion's words, as the kb that made the decision labels it."""
    crit = getattr(d.kb, "criteria", {}).get(k)
    return crit.label if crit is not None and crit.label else k


def decision_dict(d: Decision) -> dict:
    return {
        "schema": DECISION_SCHEMA,
        "case": d.case.id,
        "decision": d.outcome,
        "authorization_months": d.authorization_months,
        "approved": [p.id for p in d.approved],
        "needs": {p.id: list(p.needs) for p in d.pending},
        "ask": list(d.asks),
        "proposed": [{"field": f, "value": d.case.get(f), "from": s, "text": derived_note(d, f, s)}
                     for f, s in d.case.derived],
        "code_notes": [{"code": c, "note": k, "text": code_note(c, k)} for c, k in d.code_notes],
        "pathways": [pathway_result_dict(p) for p in d.pathways],
        **audit_dict(d.audit),
    }


def audit_dict(a: Audit) -> dict:
    """The audit fields of a decision record (docs/decision-format.md): which kb, policy, time and engine."""
    return {"kb_version": a.kb_version,
            "policy": {"title": a.policy.title, "version": a.policy.version, "effective": a.policy.effective},
            "decided_at": a.decided_at, "engine": {"name": a.engine, "laro_kb": a.laro_kb}}


def pathway_result_dict(p: PathwayResult) -> dict:
    return {
        "id": p.id,
        "verdict": p.verdict,
        "section": p.pathway.section_heading,
        "subsection": p.pathway.subsection_heading,
        "citation": p.pathway.citation,
        "criteria": [{"criterion": c.criterion, "dimension": c.dimension, "status": c.status, "label": c.label,
                      "missing": list(c.missing), "derived_from": list(c.derived_from)} for c in p.criteria],
        "needs": list(p.needs),
    }


def decision_json(d: Decision) -> str:
    return json.dumps(decision_dict(d), indent=2, ensure_ascii=False)


def pathways_text(pathways: Iterable[Pathway]) -> str:
    lines = []
    for p in pathways:
        lines.append(f"{p.id:28s} {p.heading}")
        lines.append(f"{'':28s} {p.text}")
        lines.append(f"{'':28s} source: {p.source if p.source else 'none recorded'}")
    return "\n".join(lines)


def pathways_json(pathways: Iterable[Pathway]) -> str:
    return json.dumps([{"id": p.id, "section": p.section, "section_heading": p.section_heading,
                        "subsection": p.subsection, "subsection_heading": p.subsection_heading,
                        "criterion": p.number, "option": p.option, "text": p.text,
                        "source": ({"kind": p.source.kind, "reference": p.source.reference,
                                    "citation": p.source.citation, "url": p.source.url} if p.source else None)}
                       for p in pathways], indent=2, ensure_ascii=False)
