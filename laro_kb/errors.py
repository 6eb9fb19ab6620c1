"""The library's small family of exceptions.

A decision of any kind (approve, deny, pend) is a value, never an exception.
Exceptions are for input that cannot be decided (:class:`CaseError`) and for a
knowledge base that cannot be used (:class:`KBError`). The CLI turns both into a
one-line message and exit status 2, in one place (``laro_kb.cli``).
"""

from __future__ import annotations

from typing import Optional


class LaroError(Exception):
    """Base class: anything laro-kb refuses to work with."""

    def __init__(self, message: str, *, file: Optional[str] = None, record: Optional[str] = None,
                 field: Optional[str] = None, line: Optional[int] = None, suggestion: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.record = record
        self.field = field
        self.line = line
        self.suggestion = suggestion

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{safe(self.file, 300)}:{self.line}" if self.line else safe(self.file, 300))
        if self.record:
            where.append(f"record {safe(self.record)}")
        if self.field:
            where.append(f"field '{safe(self.field)}'")
        text = (": ".join(where) + ": " if where else "") + safe(self.message, 500)
        if self.suggestion:
            text += f" (did you mean '{safe(self.suggestion)}'?)"
        return text

    def detail(self) -> str:
        """The field, the message and the suggestion, without the file and the record."""
        text = (f"field '{safe(self.field)}': " if self.field else "") + safe(self.message, 500)
        return text + (f" (did you mean '{safe(self.suggestion)}'?)" if self.suggestion else "")

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "file": self.file, "record": self.record,
                "field": self.field, "line": self.line, "suggestion": self.suggestion}


class CaseError(LaroError):
    """A patient case that is malformed, incomplete in form, or impossible."""


class CaseErrors(CaseError):
    """Every problem of one case, reported at once: ``errors`` holds one :class:`CaseError` each, naming its field
    and suggestion. Printed one per line."""

    def __init__(self, errors):
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(f"has {len(self.errors)} problems: " + "; ".join(e.detail() for e in self.errors),
                         file=first.file, record=first.record)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "errors": [e.to_dict() for e in self.errors]}


class KBError(LaroError):
    """A knowledge base that is not Datalog, or is inconsistent with itself."""


def safe(text, limit: int = 120) -> str:
    """Text from input, fit for a one-line message: control characters escaped, and cut to ``limit``."""
    text = str(text)
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return out if len(out) <= limit else out[:limit - 3] + "..."
