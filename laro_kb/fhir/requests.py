"""The two requests a payer's service receives as FHIR: a CDS Hooks call (CRD) and a PAS Claim bundle.

Each is read into the larotrectinib orders it asks about, each with its case (the mapping of
:mod:`laro_kb.fhir.mapping` over every resource the request carries). A request about anything else (a diet order,
an antibiotic, a Claim for another service) reads as no order: this policy does not apply to it. A malformed
request is a :class:`~laro_kb.errors.CaseError` naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from ..case.model import Case
from ..errors import CaseError
from ..knowledge.vocabulary import Vocabulary
from .mapping import POLICY_DRUG, Extract, _date, extract, medication_therapies, validated
from .resources import Resource, Resources, read_resources

HOOKS = ("order-sign", "order-select")
ORDER_TYPES = ("MedicationRequest",)


@dataclass(frozen=True)
class Order:
    """One larotrectinib order asked about, and the case the request states for it."""

    resource: Resource  # the draft MedicationRequest, or the PAS Claim when no MedicationRequest is referenced
    case: Case
    extract: Extract


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    orders: tuple[Order, ...]  # empty: the call orders no larotrectinib
    coverage: Optional[dict]  # a Reference to the patient's Coverage, when the prefetch holds one


@dataclass(frozen=True)
class ClaimRequest:
    claim: Resource
    claim_ref: str  # what ClaimResponse.request points to
    created: date  # the Claim's date (today when it gives none): the day the request is judged on
    items: tuple[tuple[int, Optional[Order]], ...]  # (item sequence, its order; None: not larotrectinib)


def is_policy_drug(r: Resource, resources: Resources, vocabulary: Vocabulary) -> bool:
    return any(POLICY_DRUG in t.classes for t in medication_therapies(r, resources, vocabulary))


def hook_request(body: Any, hook: str, vocabulary: Vocabulary, *, today: date) -> HookRequest:
    """A CDS Hooks order-sign or order-select call (context.draftOrders, context.selections, prefetch)."""
    where = "CDS Hooks request"
    if not isinstance(body, Mapping):
        raise CaseError("must be a JSON object", record=where)
    if body.get("hook") != hook:
        raise CaseError(f"this service answers the hook {hook!r}, not {str(body.get('hook'))[:60]!r}",
                        record=where, field="hook")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance or len(instance) > 200:
        raise CaseError("must be the hook call's id (text)", record=where, field="hookInstance")
    context = body.get("context")
    if not isinstance(context, Mapping):
        raise CaseError("must be a JSON object", record=where, field="context")
    drafts = context.get("draftOrders")
    if not isinstance(drafts, Mapping) or drafts.get("resourceType") != "Bundle":
        raise CaseError("must be a Bundle of the draft orders", record=where, field="context.draftOrders")
    draft = read_resources(drafts, file="context.draftOrders")
    orders = [r for r in draft if r.type in ORDER_TYPES]
    if hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise CaseError("must be a list of the selected orders ('MedicationRequest/id')", record=where,
                            field="context.selections")
        orders = [r for r in orders if r.ref in selections]
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, Mapping):
        raise CaseError("must be a JSON object of prefetched resources", record=where, field="prefetch")
    known = read_resources(prefetch, file="prefetch") if prefetch else Resources([])
    refs = {r.ref for r in known}
    every = Resources(known.items + [r for r in draft if r.ref not in refs])
    asked = [r for r in orders if is_policy_drug(r, every, vocabulary)]
    out = []
    for r in asked:
        ex = extract(every, vocabulary, request=r, today=today, case_id=f"{instance}:{r.ref}")
        out.append(Order(r, validated(ex, vocabulary, file="CDS Hooks request"), ex))
    coverages = every.of("Coverage")
    coverage = {"reference": coverages[0].ref} if coverages and coverages[0].id else None
    return HookRequest(hook, instance, tuple(out), coverage)


def claim_request(body: Any, vocabulary: Vocabulary, *, today: date) -> ClaimRequest:
    """A PAS request Bundle: one Claim with use 'preauthorization', and the resources it refers to."""
    if not isinstance(body, Mapping) or body.get("resourceType") != "Bundle":
        raise CaseError("a PAS request is a Bundle holding a Claim and the resources it refers to",
                        record="PAS request", field="resourceType")
    resources = read_resources(body, file="PAS request")
    claims = resources.of("Claim")
    if len(claims) != 1:
        raise CaseError(f"holds {len(claims)} Claims; a PAS request holds one", record="PAS request")
    claim = claims[0]
    if claim.get("use") != "preauthorization":
        raise CaseError(f"Claim.use is {claim.get('use')!r}; $submit takes a prior authorization "
                        "(use 'preauthorization')", record=claim.ref, field="use")
    created = _date(claim.get("created")) or today
    items: list[tuple[int, Optional[Order]]] = []
    cases: dict[str, Order] = {}
    for i, item in enumerate(claim.get("item") or ()):
        sequence = item.get("sequence", i + 1)
        order = _item_order(claim, item, resources, vocabulary)
        if order is None:
            items.append((sequence, None))
            continue
        if order.ref not in cases:
            ex = extract(resources, vocabulary, request=order, request_date=created, today=today,
                         case_id=f"{claim.ref}:{order.ref}")
            cases[order.ref] = Order(order, validated(ex, vocabulary, file="PAS request"), ex)
        items.append((sequence, cases[order.ref]))
    entry = next((e for e in body.get("entry") or () if isinstance(e, Mapping) and
                  isinstance(e.get("resource"), Mapping) and e["resource"].get("resourceType") == "Claim"), {})
    claim_ref = claim.ref if claim.id else str(entry.get("fullUrl") or "Claim")
    return ClaimRequest(claim, claim_ref, created, tuple(items))


def _item_order(claim: Resource, item: Mapping, resources: Resources, vocabulary: Vocabulary) -> Optional[Resource]:
    """The larotrectinib MedicationRequest a Claim item asks for (its requestedService extension, or the Claim's
    prescription), or the Claim itself when the item's product names larotrectinib; None for another service."""
    refs = [e.get("valueReference") for e in item.get("extension") or () if isinstance(e, Mapping)]
    refs.append(claim.get("prescription"))
    for ref in refs:
        r = resources.resolve(ref, within=claim)
        if r is not None and r.type in ORDER_TYPES and is_policy_drug(r, resources, vocabulary):
            return r
    product = item.get("productOrService")
    if isinstance(product, Mapping):
        probe = Resource("MedicationRequest", None, claim.ref, {"medicationCodeableConcept": product})
        if is_policy_drug(probe, resources, vocabulary):
            return claim
    return None


__all__ = ["ClaimRequest", "HookRequest", "Order", "claim_request", "hook_request", "is_policy_drug"]
