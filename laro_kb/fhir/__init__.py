"""FHIR R4 input: a Bundle (a collection, a searchset, a transaction) or a CDS Hooks prefetch becomes a case.

Owns reading FHIR JSON: ``resources`` validates every resource with fhir.resources (its R4B models, which parse R4)
and indexes them, so that a malformed resource is a CaseError naming the resource and the element; ``mapping``
turns the resources into the nested mapping of a case (docs/fhir.md has the table: FHIR element -> case field),
through the kb's own tables (the code table, the drug table, the prescriber specialties) read via the vocabulary,
and validates it with the case parser like any case file. What the bundle does not state stays unknown.

May import: ``case/``, ``knowledge/`` and ``errors.py``. It sits beside the engines and the Decision value: it
decides nothing, and renders nothing (FHIR out is ``render/fhir.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def is_fhir(data: Any) -> bool:
    """FHIR input is recognized by its resourceType (a Bundle, or a single resource)."""
    return isinstance(data, Mapping) and isinstance(data.get("resourceType"), str)


# the rest is imported when first used: fhir.resources' models cost a process that reads no FHIR about 0.1 s
_LAZY = {"Extract": "mapping", "case_from_fhir": "mapping", "extract": "mapping",
         "Resource": "resources", "Resources": "resources", "read_resources": "resources"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Extract", "Resource", "Resources", "case_from_fhir", "extract", "is_fhir", "read_resources"]
