"""FHIR resources read from JSON: each one validated with fhir.resources, then indexed for references.

Every resource is validated on its own with the R4B model of its type (R4B's models parse R4 resources), so that a
malformed one is a :class:`~laro_kb.errors.CaseError` naming the resource (``Observation/ntrk-1``, or its place in
the bundle when it has no id) and the element (``valueCodeableConcept.coding[0].system``). The validated JSON is
kept as given: the mapping reads it, and nothing is rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from ..errors import CaseError

BUNDLE_TYPES = ("collection", "searchset", "transaction")
MAX_RESOURCES = 2000  # a prior authorization needs a few dozen; a bundle of more is refused, not read
MAX_NESTING = 2  # a prefetch entry may be a searchset Bundle; deeper nesting is not FHIR input for a case


@dataclass(frozen=True)
class Resource:
    """One validated resource: its type, id, where it stood, and its JSON as given."""

    type: str
    id: Optional[str]
    where: str  # 'Observation/ntrk-1', or 'entry[3] Observation' for a resource with no id
    data: dict = field(compare=False, repr=False)
    full_url: Optional[str] = None

    @property
    def ref(self) -> str:
        return f"{self.type}/{self.id}" if self.id else self.where

    def get(self, key: str, default=None):
        return self.data.get(key, default)


class Resources:
    """The resources of a bundle or prefetch, in order, with references resolved by ``Type/id`` or fullUrl."""

    def __init__(self, items: list[Resource]):
        self.items = items
        self._refs: dict[str, Resource] = {}
        for r in items:
            if r.id:
                self._refs.setdefault(f"{r.type}/{r.id}", r)
            if r.full_url:
                self._refs.setdefault(r.full_url, r)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def of(self, *types: str) -> list[Resource]:
        return [r for r in self.items if r.type in types]

    def resolve(self, reference: Any, within: Optional[Resource] = None) -> Optional[Resource]:
        """The resource a Reference points to, when the bundle holds it: ``Type/id``, an absolute URL ending in
        ``Type/id``, a fullUrl (``urn:uuid:...``), or ``#id`` for a resource contained in ``within``."""
        if not isinstance(reference, Mapping) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"]
        if ref.startswith("#") and within is not None:
            for contained in within.get("contained") or ():
                if isinstance(contained, Mapping) and contained.get("id") == ref[1:]:
                    return Resource(contained.get("resourceType", ""), contained.get("id"),
                                    f"{within.ref} contained {ref}", dict(contained))
            return None
        if ref in self._refs:
            return self._refs[ref]
        tail = "/".join(ref.rstrip("/").split("/")[-2:])
        return self._refs.get(tail)


def read_resources(data: Any, *, file: Optional[str] = None) -> Resources:
    """The validated resources of a Bundle, of a single resource, or of a CDS Hooks prefetch (a mapping of keys to
    resources, Bundles or null)."""
    out: list[Resource] = []
    if not isinstance(data, Mapping):
        raise CaseError("FHIR input must be a JSON object (a Bundle, a resource or a CDS Hooks prefetch)", file=file)
    if "resourceType" in data:
        _collect(data, "", out, file, 0)
    else:
        for key, value in data.items():
            if value is None:
                continue  # a prefetch the EHR could not fill: its facts stay unknown
            if not isinstance(value, Mapping) or "resourceType" not in value:
                raise CaseError("a prefetch value must be a FHIR resource, a Bundle or null", file=file,
                                record=f"prefetch '{key}'")
            _collect(value, f"prefetch '{key}' ", out, file, 0)
    return Resources(out)


def _collect(data: Mapping, place: str, out: list[Resource], file, depth: int) -> None:
    rtype = data.get("resourceType")
    if rtype != "Bundle":
        out.append(validate(data, place, file))
        if len(out) > MAX_RESOURCES:
            raise CaseError(f"holds more than {MAX_RESOURCES} resources; a case needs a few dozen", file=file)
        return
    where = f"{place}Bundle" + (f"/{data['id']}" if isinstance(data.get("id"), str) else "")
    if depth >= MAX_NESTING:
        raise CaseError("a Bundle nested this deep is not input for a case", file=file, record=where)
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise CaseError("must be a list of entries", file=file, record=where, field="entry")
    shell = dict(data)
    shell["entry"] = [{k: v for k, v in e.items() if k != "resource"} if isinstance(e, Mapping) else e
                      for e in entries]
    if not shell["entry"]:
        shell.pop("entry")
    validate(shell, place, file)  # the Bundle's own elements, its entries' resources apart
    if data.get("type") not in BUNDLE_TYPES:
        raise CaseError(f"a Bundle of type {data.get('type')!r} is not read; the types read are "
                        f"{', '.join(BUNDLE_TYPES)}", file=file, record=where, field="type")
    for i, entry in enumerate(entries):
        resource = entry.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, Mapping):
            raise CaseError("must be a FHIR resource (a JSON object)", file=file, record=where,
                            field=f"entry[{i}].resource")
        before = len(out)
        _collect(resource, f"{where} entry[{i}] ", out, file, depth + 1)
        url = entry.get("fullUrl")
        if isinstance(url, str) and len(out) == before + 1:
            r = out[-1]
            out[-1] = Resource(r.type, r.id, r.where, r.data, url)


def validate(data: Mapping, place: str, file) -> Resource:
    """One resource checked against its R4B model; a problem names the resource and the element."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    rtype = data.get("resourceType")
    rid = data.get("id") if isinstance(data.get("id"), str) else None
    where = f"{rtype}/{rid}" if rid and isinstance(rtype, str) else f"{place}{rtype if isinstance(rtype, str) else ''}"
    where = where.strip() or "resource"
    try:
        model = get_fhir_model_class(rtype) if isinstance(rtype, str) else None
    except (KeyError, ValueError):
        model = None
    if model is None:
        raise CaseError(f"{str(rtype)[:60]!r} is not a FHIR R4 resource type", file=file, record=where,
                        field="resourceType")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        element = element_path(problem.get("loc", ()))
        message = str(problem.get("msg", "is not valid")).removeprefix("Value error, ")
        raise CaseError(f"not valid FHIR: {message}", file=file, record=where, field=element or None) from None
    except (TypeError, ValueError, RecursionError) as exc:  # fhir.resources' own checks, outside pydantic's
        raise CaseError(f"not valid FHIR: {str(exc)[:200]}", file=file, record=where) from None
    return Resource(rtype, rid, where, dict(data))


def element_path(loc) -> str:
    """('code', 'coding', 0, 'system') -> 'code.coding[0].system'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
