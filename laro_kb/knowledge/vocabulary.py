"""The case vocabulary: fields and terms, as the knowledge base declares them.

Nothing here lists a field or a term: :meth:`Vocabulary.from_engine` asks the
loaded kb for ``field/3``, ``term/3``, ``bounds/3``, ``step/2``,
``immutable/1``, ``is_a/2``, ``conflict/5`` and ``subsection_of/2``; and for the tables that input in other
formats is read through (FHIR, laro_kb/fhir): the policy's code table (``code/3``, ``code_section/2``,
``code_subsection/2``) and the prescriber specialties (``specialty/3``).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cached_property
from typing import Optional

from ..errors import KBError

TYPES = ("term", "terms", "int", "bool", "code", "text")


def show_value(value) -> str:
    """A case value as people and the case format write it: true/false, [a, b], 58, positive."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    terms: tuple[tuple[str, str], ...] = ()  # (term, description)
    bounds: Optional[tuple[int, int]] = None
    step: Optional[int] = None
    immutable: bool = False

    @property
    def group(self) -> Optional[str]:
        return self.name.rsplit(".", 1)[0] if "." in self.name else None

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def term_names(self) -> list[str]:
        return [t for t, _ in self.terms]


@dataclass(frozen=True)
class Conflict:
    field1: str
    value1: object
    field2: str
    value2: object
    reason: str


@dataclass(frozen=True)
class Code:
    """An entry of the policy's code table: the code, its description, and the sections it belongs to."""
    code: str
    system: str
    description: str
    sections: tuple[str, ...] = ()
    subsections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    fields: dict = dc_field(default_factory=dict)  # name -> Field
    is_a: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    subsection_of: dict = dc_field(default_factory=dict)  # subsection -> section
    codes: dict = dc_field(default_factory=dict)  # ICD-10 code -> Code (kb/codes.dl)
    specialties: dict = dc_field(default_factory=dict)  # NUCC taxonomy code -> prescriber term (kb/specialties.dl)

    @classmethod
    def from_engine(cls, engine) -> "Vocabulary":
        terms: dict[str, list] = {}
        for f, t, d in engine.ask("term", None, None, None):
            terms.setdefault(f, []).append((t, d))
        bounds = {f: (lo, hi) for f, lo, hi in engine.ask("bounds", None, None, None)}
        steps = {f: n for f, n in engine.ask("step", None, None)}
        immutable = {f for (f,) in engine.ask("immutable", None)}
        fields = {}
        for name, typ, desc in sorted(engine.ask("field", None, None, None)):
            if typ not in TYPES:
                raise KBError(f"field {name!r} has unknown type {typ!r}; types are {', '.join(TYPES)}")
            fields[name] = Field(name, typ, desc, tuple(sorted(terms.get(name, []))), bounds.get(name),
                                 steps.get(name), name in immutable)
        for name in terms:
            if name not in fields:
                raise KBError(f"terms are declared for {name!r}, which is not a field")
        conflicts = tuple(Conflict(*row) for row in sorted(engine.ask("conflict", None, None, None, None, None),
                                                           key=repr))
        return cls(fields, tuple(sorted(engine.ask("is_a", None, None))), conflicts,
                   dict(engine.ask("subsection_of", None, None)), _codes(engine), _specialties(engine, fields))

    def code(self, code: str) -> Optional["Code"]:
        """The code table's entry for an ICD-10 code, or for the nearest category above it (C25.1 is read under
        C25), or None when neither the code nor a category of it is listed."""
        code = code.strip().upper()
        while len(code.replace(".", "")) >= 3:
            if code in self.codes:
                return self.codes[code]
            code = code[:-1].rstrip(".")
        return None

    def groups(self) -> frozenset[str]:
        """The field groups (``patient``, ``diagnosis``, ...): computed once, on the parse path of every case."""
        return self._groups

    @cached_property
    def _groups(self) -> frozenset[str]:
        return frozenset(f.group for f in self.fields.values() if f.group)


def _codes(engine) -> dict:
    sections: dict[str, set] = {}
    subsections: dict[str, set] = {}
    for code, section in engine.ask("code_section", None, None):
        sections.setdefault(code, set()).add(section)
    for code, subsection in engine.ask("code_subsection", None, None):
        subsections.setdefault(code, set()).add(subsection)
    return {code: Code(code, system, text, tuple(sorted(sections.get(code, ()))),
                       tuple(sorted(subsections.get(code, ()))))
            for code, system, text in engine.ask("code", None, None, None)}


def _specialties(engine, fields: dict) -> dict:
    out = {}
    prescriber = fields.get("prescriber")
    for code, _, term in engine.ask("specialty", None, None, None):
        if prescriber is None or term not in prescriber.term_names():
            raise KBError(f"specialty {code!r} reads as prescriber {term!r}, which is not a term of 'prescriber'")
        out[code] = term
    return out
