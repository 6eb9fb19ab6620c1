"""Where a knowledge base lives: the shipped kb/ and the .dl files of a kb directory, in load order."""

from __future__ import annotations

from pathlib import Path

from ..errors import KBError

KB_SUFFIX = ".dl"


def default_kb_dir() -> Path:
    """The knowledge base shipped with the package: laro_kb/kb/ in an installed wheel, kb/ in a checkout."""
    package = Path(__file__).resolve().parent.parent
    shipped = package / "kb"
    if any(shipped.glob("*" + KB_SUFFIX)):
        return shipped
    return package.parent / "kb"


def kb_files(directory: Path) -> list[Path]:
    """The .dl files of a kb directory, in load order: top level first, then pathways/."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KBError("is not a directory holding a knowledge base", file=str(directory))
    files = sorted(directory.glob("*" + KB_SUFFIX)) + sorted(directory.glob("pathways/*" + KB_SUFFIX))
    if not files:
        raise KBError(f"holds no {KB_SUFFIX} files", file=str(directory))
    return files
