"""The case vocabulary: fields and terms, as the knowledge base declares them.

Nothing here lists a field or a term: :meth:`Vocabulary.from_engine` asks the
loaded kb for ``field/3``, ``term/3``, ``bounds/3``, ``step/2``,
``immutable/1``, ``is_a/2``, ``conflict/5`` and ``subsection_of/2``.
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
class Vocabulary:
    fields: dict = dc_field(default_factory=dict)  # name -> Field
    is_a: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    subsection_of: dict = dc_field(default_factory=dict)  # subsection -> section

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
                   dict(engine.ask("subsection_of", None, None)))

    def groups(self) -> frozenset[str]:
        """The field groups (``patient``, ``diagnosis``, ...): computed once, on the parse path of every case."""
        return self._groups

    @cached_property
    def _groups(self) -> frozenset[str]:
        return frozenset(f.group for f in self.fields.values() if f.group)
