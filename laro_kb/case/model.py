"""The Case value: a validated case, immutable, and the engine facts it stands for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..knowledge.vocabulary import Vocabulary


def set_field(data: dict, name: str, value) -> None:
    """Put ``value`` at a dotted field name in the nested form of a case: 'patient.age' -> data['patient']['age']."""
    *groups, leaf = name.split(".")
    node = data
    for group in groups:
        node = node.setdefault(group, {})
    node[leaf] = value



@dataclass(frozen=True)
class Case:
    """A validated case: its id and its documented (non-null) values, by field name."""

    id: str
    values: tuple[tuple[str, Any], ...]  # sorted (field, value); lists are tuples
    source: Optional[str] = None

    def get(self, name: str, default=None):
        return dict(self.values).get(name, default)

    def as_dict(self) -> dict:
        """The nested form of a case file (round-trips through :func:`parse_case`)."""
        out: dict = {"id": self.id}
        for name, value in self.values:
            set_field(out, name, list(value) if isinstance(value, tuple) else value)
        return out

    def with_values(self, **changes) -> "Case":
        """A copy with fields set (a value) or unset (``None``); names are dotted field names."""
        values = dict(self.values)
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = tuple(value) if isinstance(value, list) else value
        return Case(self.id, tuple(sorted(values.items())), self.source)

    def facts(self, cid: str, vocabulary: Vocabulary) -> list[tuple]:
        """Engine facts for this case under the internal case id ``cid``."""
        out: list[tuple] = [("case", cid)]
        for name, value in self.values:
            f = vocabulary.fields[name]
            if f.type == "text":
                continue  # free text is kept for people; no rule reads it
            out.append(("known", cid, name))
            for v in (value if f.type == "terms" else (value,)):
                out.append(("val", cid, name, v))
        return out
