"""The HTTP service: an ASGI application (Starlette, run by uvicorn) that payers' systems call.

Owns the endpoints (``app``): GET /health; CDS Hooks discovery and the order-sign / order-select services that
answer with the Da Vinci CRD coverage-information extension and a card; PAS ``POST /fhir/Claim/$submit``; and
``POST /decide`` for a laro-kb case or a FHIR Bundle (docs/service.md). Each endpoint reads its request with
``laro_kb.fhir``, asks the loaded KnowledgeBase, and renders with ``laro_kb.render``; a refused request is a 400
with an OperationOutcome. ``laro-kb serve`` (in ``cli/``) runs it.

May import: ``knowledgebase`` and every layer below it. Only ``cli/`` imports it.
"""

from .app import MAX_BODY, create_app

__all__ = ["MAX_BODY", "create_app"]
