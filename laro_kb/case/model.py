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
    """A validated case: its id and its documented (non-null) values, by field name.

    ``values`` hold the kb's terms; what the user wrote is kept beside them, never replaced: ``written`` has each
    field's value as given where it differs (``MSS``, ``[pembrolizumab, FOLFOX]``, ``C349``), and ``aliases`` each
    name as written with the term it stands for (``('history.progressed_on', 'pembrolizumab',
    'checkpoint_inhibitor')``)."""

    id: str
    values: tuple[tuple[str, Any], ...]  # sorted (field, value); lists are tuples
    source: Optional[str] = None
    written: tuple[tuple[str, Any], ...] = ()  # sorted (field, value as given) where it differs from the value
    aliases: tuple[tuple[str, str, str], ...] = ()  # sorted (field, name as written, term it stands for)
    derived: tuple[tuple[str, str], ...] = ()  # (field, the field it was proposed from): not written by the user

    def get(self, name: str, default=None):
        return dict(self.values).get(name, default)

    def written_as(self, name: str, term) -> tuple[str, ...]:
        """The names the user wrote for ``term`` in field ``name`` (none when the term itself was written)."""
        return tuple(w for f, w, t in self.aliases if f == name and t == term)

    def as_dict(self) -> dict:
        """The nested form of a case file, as the user wrote it (round-trips through :func:`parse_case`)."""
        out: dict = {"id": self.id}
        written = dict(self.written)
        derived = dict(self.derived)
        for name, value in self.values:
            if name in derived:
                continue  # proposed from another field when the case is read, never written back as documented
            value = written.get(name, value)
            set_field(out, name, list(value) if isinstance(value, tuple) else value)
        return out

    def with_values(self, **changes) -> "Case":
        """A copy with fields set (a value) or unset (``None``); names are dotted field names. What was written for a
        changed field goes with its old value."""
        values = dict(self.values)
        gone = {f for f, source in self.derived if f in changes or source in changes}
        for name in gone - set(changes):
            values.pop(name, None)  # proposed from a field that changes: no longer proposed
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = tuple(value) if isinstance(value, list) else value
        return Case(self.id, tuple(sorted(values.items())), self.source,
                    tuple(w for w in self.written if w[0] not in changes),
                    tuple(a for a in self.aliases if a[0] not in changes),
                    tuple(d for d in self.derived if d[0] not in gone))

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
