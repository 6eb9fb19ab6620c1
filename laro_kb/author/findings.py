"""A finding of ``laro-kb check``: severity, where, what is wrong, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    message: str
    fix: str
    file: Optional[str] = None
    line: Optional[int] = None
    pathway: Optional[str] = None

    def __str__(self) -> str:
        where = (Path(self.file).name + (f":{self.line}" if self.line else "")) if self.file else "kb"
        who = f" [{self.pathway}]" if self.pathway else ""
        return f"{self.severity}: {where}{who}: {self.message} ({self.code}). Fix: {self.fix}"

    def to_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "message": self.message, "fix": self.fix,
                "file": self.file, "line": self.line, "pathway": self.pathway}
