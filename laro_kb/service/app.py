"""The ASGI application: CDS Hooks (Da Vinci CRD), PAS Claim/$submit and /decide over one loaded kb per worker.

Each endpoint reads its request (``laro_kb.fhir``), asks the KnowledgeBase for decisions, and renders them
(``laro_kb.render``). The kb is loaded once per worker process at startup, and its SQL engine built there; a
decision then runs in Starlette's thread pool, and the KnowledgeBase serialises the calls on it (its SQLite engine
takes one call at a time), so concurrent requests are safe. A bad request is a 400 with a FHIR OperationOutcome
naming the problem; a body over the limit is a 413; nothing a request does yields a stack trace.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import datetime, timezone
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..case.files import decode, load_text, show_bytes
from ..errors import LaroError
from ..fhir.requests import HOOKS, claim_request, hook_request
from ..knowledgebase import KnowledgeBase, load
from ..render.decision import decision_dict
from ..render.fhir import (card, claim_response, coverage_information, operation_outcome, pathway_dict,
                           PAS_RESPONSE_BUNDLE)

MAX_BODY = 1 << 20  # 1 MiB: a prior authorization bundle is tens of kilobytes
KB_ENV = "LARO_KB_SERVICE_KB"  # the kb directory a worker loads (laro-kb serve --kb sets it for its workers)
FHIR_JSON = "application/fhir+json"
log = logging.getLogger("laro_kb.service")

SERVICES = {f"laro-kb-{hook}": hook for hook in HOOKS}
PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medications": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "practitioner": "{{context.userId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
}


class BadRequest(Exception):
    def __init__(self, status: int, outcome: dict):
        self.status = status
        self.outcome = outcome


def create_app(kb_dir: Optional[str] = None, *, max_body: int = MAX_BODY) -> Starlette:
    """The service over the kb in ``kb_dir`` (default: $LARO_KB_SERVICE_KB, else the shipped kb)."""
    state: dict[str, KnowledgeBase] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        kb = load(kb_dir or os.environ.get(KB_ENV) or None)
        kb.compile()  # the SQL engine, built here rather than on the first request
        state["kb"] = kb
        yield

    def kb() -> KnowledgeBase:
        return state["kb"]

    async def body(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            raise BadRequest(413, operation_outcome(f"the request body is larger than {show_bytes(max_body)}",
                                                    code="too-costly"))
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > max_body:
                raise BadRequest(413, operation_outcome(f"the request body is larger than {show_bytes(max_body)}",
                                                        code="too-costly"))
        if not raw:
            raise BadRequest(400, operation_outcome("the request has no body; send JSON", code="required"))
        return load_text(decode(bytes(raw), "request body"), "request body")

    async def health(request: Request):
        k = kb()
        return JSONResponse({"status": "ok", "engine": k.engine_name, "pathways": len(k.pathways)})

    async def discovery(request: Request):
        policy = kb().policy
        return JSONResponse({"services": [
            {"hook": hook, "id": sid, "title": f"{policy.title} coverage requirements",
             "description": f"Da Vinci CRD on {hook}: whether a larotrectinib order is covered under the "
                            f"{policy.title} medical policy v{policy.version}, what documentation a pend needs, "
                            "and why; other orders get no cards.",
             "prefetch": PREFETCH} for sid, hook in SERVICES.items()]})

    async def hook_call(request: Request):
        sid = request.path_params["service"]
        if sid not in SERVICES:
            raise BadRequest(404, operation_outcome(f"no CDS service {sid[:80]!r}; see GET /cds-services",
                                                    code="not-found"))
        data = await body(request)
        today = datetime.now(timezone.utc).date()

        def work():
            k = kb()
            call = hook_request(data, SERVICES[sid], k.vocabulary, today=today)
            decisions = k.decide_many([o.case for o in call.orders]) if call.orders else []
            return call, decisions

        call, decisions = await run_in_threadpool(work)
        policy = str(request.url_for("policy_pathways")).rstrip("/")
        cards, actions = [], []
        for order, decision in zip(call.orders, decisions):
            updated = dict(order.resource.data)
            updated["extension"] = list(updated.get("extension") or []) + [
                coverage_information(decision, kb().vocabulary, policy_url=policy, today=today,
                                     coverage=call.coverage)]
            actions.append({"type": "update", "description": f"Coverage information for {order.resource.ref}",
                            "resource": updated})
            cards.append(card(decision, kb().vocabulary, policy_url=policy))
        return JSONResponse({"cards": cards, "systemActions": actions})

    async def claim_submit(request: Request):
        data = await body(request)
        today = datetime.now(timezone.utc).date()

        def work():
            k = kb()
            claim = claim_request(data, k.vocabulary, today=today)
            orders = [o for _, o in claim.items if o is not None]
            decisions = k.decide_many([o.case for o in orders]) if orders else []
            by_ref = {o.resource.ref: d for o, d in zip(orders, decisions)}
            return claim, [(seq, by_ref.get(o.resource.ref) if o is not None else None) for seq, o in claim.items]

        claim, items = await run_in_threadpool(work)
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        response = claim_response(claim.claim.data, claim.claim_ref, items, kb().vocabulary, created=now,
                                  decided_on=claim.created)
        response["id"] = f"response-{claim.claim.id or 'claim'}"
        bundle = {"resourceType": "Bundle", "meta": {"profile": [PAS_RESPONSE_BUNDLE]},
                  "identifier": {"system": "urn:laro-kb:pas-response", "value": response["id"]},
                  "type": "collection", "timestamp": now,
                  "entry": [{"fullUrl": f"urn:laro-kb:ClaimResponse/{response['id']}", "resource": response}]}
        return JSONResponse(bundle, media_type=FHIR_JSON)

    async def decide(request: Request):
        data = await body(request)

        def work():
            k = kb()
            return decision_dict(k.decide(k.parse_case(data, record=None)))

        return JSONResponse(await run_in_threadpool(work))

    async def policy_pathway(request: Request):
        pid = request.path_params["pathway"]
        p = kb().pathways.get(pid)
        if p is None:
            raise BadRequest(404, operation_outcome(f"no pathway {pid[:80]!r} in the policy", code="not-found"))
        return JSONResponse(pathway_dict(p))

    async def policy_pathways(request: Request):
        return JSONResponse([pathway_dict(p) for p in kb().pathways.values()])

    async def bad_request(request: Request, exc: BadRequest):
        return JSONResponse(exc.outcome, status_code=exc.status, media_type=FHIR_JSON)

    async def refused(request: Request, exc: LaroError):
        return JSONResponse(operation_outcome(str(exc), expression=exc.field), status_code=400,
                            media_type=FHIR_JSON)

    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse(operation_outcome(exc.detail or "not found",
                                              code="not-found" if exc.status_code == 404 else "not-supported"),
                            status_code=exc.status_code, media_type=FHIR_JSON)

    async def crashed(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return JSONResponse(operation_outcome("internal error: the request could not be decided; it is logged",
                                              code="exception", severity="fatal"),
                            status_code=500, media_type=FHIR_JSON)

    routes = [Route("/health", health, methods=["GET"]),
              Route("/cds-services", discovery, methods=["GET"]),
              Route("/cds-services/{service}", hook_call, methods=["POST"]),
              Route("/fhir/Claim/$submit", claim_submit, methods=["POST"]),
              Route("/decide", decide, methods=["POST"]),
              Route("/policy/pathways/", policy_pathways, methods=["GET"], name="policy_pathways"),
              Route("/policy/pathways/{pathway}", policy_pathway, methods=["GET"])]
    # CDS Hooks clients may call from a browser: the spec asks services to allow cross-origin requests
    cors = Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                      allow_headers=["Authorization", "Content-Type"])
    return Starlette(routes=routes, lifespan=lifespan, middleware=[cors],
                     exception_handlers={BadRequest: bad_request, LaroError: refused, HTTPException: http_error,
                                         Exception: crashed})
