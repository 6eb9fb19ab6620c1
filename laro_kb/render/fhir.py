"""Decisions as FHIR: the Da Vinci CRD coverage-information extension and CDS Hooks card, the PAS ClaimResponse,
and the OperationOutcome of a refused request.

Renderers only: each reads a :class:`~laro_kb.decision.Decision` (and the vocabulary, for the plain words of a
field) and returns JSON-ready dicts; nothing here decides. The URLs and codes are those of the Da Vinci CRD 2.x and
PAS 2.x implementation guides and the CDS Hooks specification (docs/service.md lists them).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Iterable, Optional

from ..decision import Decision, PathwayResult
from ..knowledge.pathways import Pathway
from ..knowledge.vocabulary import Vocabulary

CRD_COVERAGE_INFORMATION = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CRD_DETAIL = "http://terminology.hl7.org/CodeSystem/crd-coverage-detail"
NULL_FLAVOR_OTHER = "OTH"  # info-needed: 'other', explained by the reason (invariant crd-ci-q6)
PAS_REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
PAS_REVIEW_ACTION_CODE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewActionCode"
X12_306 = "https://codesystem.x12.org/005010/306"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
PAS_RESPONSE_BUNDLE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-pas-response-bundle"
PAS_CLAIM_RESPONSE = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/profile-claimresponse"

COVERED = {"approve": "covered", "pend": "conditional", "deny": "not-covered"}
REVIEW_ACTION = {"approve": ("A1", "Certified in total"), "deny": ("A3", "Not Certified"), "pend": ("A4", "Pended")}
INDICATOR = {"approve": "info", "pend": "warning", "deny": "critical"}
PERFORMER_FIELDS = ("prescriber",)  # a pend on these needs information about the performer (info-needed)


def assertion_id(decision: Decision) -> str:
    """A trace id for a coverage assertion: of the case (its id names the hook call or Claim, and the order), its
    documented facts and the decision; the same call asked again gets the same id."""
    text = json.dumps([decision.case.id, decision.outcome, [p.id for p in decision.pathways if p.verdict != "denied"],
                       [[k, list(v) if isinstance(v, tuple) else v] for k, v in decision.case.values]],
                      sort_keys=True, default=str)
    return "laro-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def needed_fields(decision: Decision) -> list[str]:
    """What a pend asks for, every pending pathway's needs in one list (closest pathway first)."""
    out: list[str] = []
    for p in decision.pending:
        out += [f for f in p.needs if f not in out]
    return out


def field_words(name: str, vocabulary: Vocabulary) -> str:
    f = vocabulary.fields.get(name)
    return f.description if f is not None else name


def reasons(decision: Decision, vocabulary: Vocabulary, limit: int = 5) -> list[str]:
    """The decision's reasons in plain language, one sentence each."""
    if decision.outcome == "approve":
        return [f"Meets the policy's criteria under {p.pathway.heading}, criterion {p.pathway.number}"
                f"{p.pathway.option}: \"{p.pathway.text}\" ({p.pathway.source or 'no source recorded'})."
                for p in decision.approved[:limit]] + \
               [f"Authorized for {decision.authorization_months} months."]
    if decision.outcome == "pend":
        out = ["The documented facts do not yet meet the policy; each pathway below could be met once the facts "
               "it names are documented (closest first)."]
        for p in decision.pending[:limit]:
            facts = "; ".join(f"{field_words(f, vocabulary)} (`{f}`)" for f in p.needs)
            out.append(f"{p.pathway.heading}, criterion {p.pathway.number}{p.pathway.option}: document {facts}.")
        return out
    out = ["No pathway of the policy can be met, whatever the undocumented facts are."]
    for p in decision.pathways[:limit]:
        failing = "; ".join(c.label for c in p.failing) or "not a candidate"
        out.append(f"{p.pathway.heading}, criterion {p.pathway.number}{p.pathway.option}: not met: {failing}.")
    return out


def _pathways_behind(decision: Decision, limit: int = 5) -> list[PathwayResult]:
    chosen = {"approve": decision.approved, "pend": decision.pending}.get(decision.outcome, decision.pathways)
    return list(chosen[:limit])


def coverage_information(decision: Decision, vocabulary: Vocabulary, *, policy_url: str, today: date,
                         coverage: Optional[dict] = None) -> dict:
    """The CRD coverage-information extension for one order (Da Vinci CRD ext-coverage-information)."""
    outcome = decision.outcome
    ext: list[dict] = [{"url": "coverage", "valueReference": coverage or {"display": "coverage not given"}},
                       {"url": "covered", "valueCode": COVERED[outcome]}]
    ident = assertion_id(decision)
    if outcome == "approve":
        ext += [{"url": "pa-needed", "valueCode": "satisfied"}, {"url": "satisfied-pa-id", "valueString": ident}]
    elif outcome == "pend":
        needs = needed_fields(decision)
        ext += [{"url": "pa-needed", "valueCode": "auth-needed"},
                {"url": "doc-needed", "valueCode": "clinical"},
                {"url": "doc-purpose", "valueCode": "withpa"}]
        codes = (["performer"] if any(f in PERFORMER_FIELDS for f in needs) else []) + \
                ([NULL_FLAVOR_OTHER] if any(f not in PERFORMER_FIELDS for f in needs) else [])
        ext += [{"url": "info-needed", "valueCode": c} for c in codes or [NULL_FLAVOR_OTHER]]
        for f in needs:
            ext.append(_detail("instructions", "cat-limitation",
                               {"valueString": f"Document: {field_words(f, vocabulary)} ({f})"}))
    ext.append({"url": "reason", "valueCodeableConcept": {"text": " ".join(reasons(decision, vocabulary))
                                                                  .replace("`", "")}})
    for p in _pathways_behind(decision):
        ext.append(_detail("policy-link", "cat-other", {"valueUrl": f"{policy_url}/{p.id}"}))
    ext += [{"url": "date", "valueDate": today.isoformat()},
            {"url": "coverage-assertion-id", "valueString": ident}]
    return {"url": CRD_COVERAGE_INFORMATION, "extension": ext}


def _detail(code: str, category: str, value: dict) -> dict:
    return {"url": "detail", "extension": [
        {"url": "category", "valueCode": category},
        {"url": "code", "valueCodeableConcept": {"coding": [{"system": CRD_DETAIL, "code": code}]}},
        {"url": "value", **value}]}


def source_label(policy) -> str:
    """Where a card's advice comes from: the policy as the kb states it (``policy/3``)."""
    return f"laro-kb: {policy.title} medical policy v{policy.version}"


def card(decision: Decision, vocabulary: Vocabulary, *, policy_url: str) -> dict:
    """A CDS Hooks card with the decision's reasons in plain language (Markdown detail)."""
    summary = {"approve": "Larotrectinib is covered: the policy's criteria are met",
               "pend": "Larotrectinib: coverage depends on documentation the record does not have yet",
               "deny": "Larotrectinib is not covered: no pathway of the policy can be met"}[decision.outcome]
    detail = "\n".join(f"- {r}" for r in reasons(decision, vocabulary))  # kb text: no case-supplied string
    return {"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:laro-kb:card:" + assertion_id(decision))),
            "summary": summary, "indicator": INDICATOR[decision.outcome],
            "detail": detail, "source": {"label": source_label((decision.audit or decision.kb).policy),
                                         "url": policy_url},
            "links": [{"label": f"Policy: {p.pathway.heading}, criterion {p.pathway.number}{p.pathway.option}",
                       "url": f"{policy_url}/{p.id}", "type": "absolute"} for p in _pathways_behind(decision)]}


def review_action(decision: Decision) -> dict:
    code, display = REVIEW_ACTION[decision.outcome]
    return {"url": PAS_REVIEW_ACTION, "extension": [
        {"url": PAS_REVIEW_ACTION_CODE, "valueCodeableConcept": {"coding": [{"system": X12_306, "code": code,
                                                                             "display": display}]}},
        {"url": "number", "valueString": assertion_id(decision)}]}


def claim_response(claim: dict, claim_ref: str, items: Iterable[tuple[int, Optional[Decision]]],
                   vocabulary: Vocabulary, *, created: str, decided_on: date) -> dict:
    """The PAS ClaimResponse to a Claim: each item with the X12 306 review action of its decision, or, for an item
    this policy does not cover, a note that the policy does not apply."""
    items = list(items)
    decided = [d for _, d in items if d is not None]
    notes: list[dict] = []
    out_items = []
    for sequence, d in items:
        adjudication = {"category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]}}
        first = len(notes) + 1
        if d is not None:
            adjudication["extension"] = [review_action(d)]
            texts = [t.replace("`", "") for t in reasons(d, vocabulary)]  # plain text: no Markdown
        else:
            texts = ["This policy (larotrectinib) does not apply to this item; it was not reviewed."]
        notes += [{"number": len(notes) + 1 + i, "type": "display", "text": f"Item {sequence}: {text}"}
                  for i, text in enumerate(texts)]
        out_items.append({"itemSequence": sequence, "adjudication": [adjudication],
                          "noteNumber": list(range(first, len(notes) + 1))})
    if decided:
        disposition = "; ".join(f"Item {seq}: {REVIEW_ACTION[d.outcome][1]}" for seq, d in items if d is not None)
    else:
        disposition = "This policy (larotrectinib) does not apply to this request: no item asks for larotrectinib."
    response = {"resourceType": "ClaimResponse", "meta": {"profile": [PAS_CLAIM_RESPONSE]},
                "status": "active", "type": claim.get("type") or {"text": "pharmacy"}, "use": "preauthorization",
                "patient": claim.get("patient") or {"display": "patient not given"}, "created": created,
                "insurer": claim.get("insurer") or {"display": "insurer not given"},
                "request": {"reference": claim_ref}, "outcome": "complete", "disposition": disposition,
                "item": out_items, "processNote": notes}
    if claim.get("provider"):
        response["requestor"] = claim["provider"]
    approved = [d for d in decided if d.outcome == "approve"]
    if approved and len(approved) == len(decided):
        response["preAuthRef"] = assertion_id(approved[0])
        months = approved[0].authorization_months or 12
        end = _add_months(decided_on, months)
        response["preAuthPeriod"] = {"start": decided_on.isoformat(), "end": end.isoformat()}
    return response


def _add_months(day: date, months: int) -> date:
    import calendar
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def operation_outcome(message: str, *, code: str = "invalid", severity: str = "error",
                      expression: Optional[str] = None) -> dict:
    """A FHIR OperationOutcome with one issue; ``expression`` names the element at fault."""
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def pathway_dict(p: Pathway) -> dict:
    """One pathway of the policy (what a policy-link points to)."""
    return {"id": p.id, "section": p.section_heading, "subsection": p.subsection_heading,
            "criterion": f"{p.number}{p.option}", "text": p.text, "citation": p.citation,
            "source": ({"kind": p.source.kind, "reference": p.source.reference, "url": p.source.url}
                       if p.source else None)}
