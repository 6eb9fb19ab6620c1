"""The compiled kb kept on disk, so that a process starts from it instead of deriving it again.

Loading a kb derives two things from its files: the rows its vocabulary, pathways, criteria and policy are read from
(asked of the pyDatalog engine once it has loaded and materialized the rules), and the SQL programs compiled from the
rules. Both depend on nothing but the kb's files and the code that derives them, and deriving them is most of what a
short command costs (about 0.7 s of a cold ``laro-kb decide``). This module keeps them, as JSON data, in one entry of
a cache directory per kb version and code version: a process that finds its entry reads it and leaves the pyDatalog
engine unbuilt until something asks for it (an explanation, a check, the reference engine).

Nothing here is a second copy of a criterion: an entry is a derived artifact, like a ``.pyc`` file, keyed by the
hash of every kb file and of every module of this package, so an edit of either is a new entry, derived from kb/
again. An entry is data, never code: rows of values and the SQL text the compiler wrote from kb/ alone (case data
goes into SQL only as parameters). The directory is the user's own (created ``0700``); one that another user owns or
may write to is not used, since its SQL would run here. An entry that cannot be read is derived again; a directory
that cannot be written only means that the next process derives it too.

The directory is ``$LARO_KB_CACHE_DIR``, else ``$XDG_CACHE_HOME/laro-kb``, else ``~/.cache/laro-kb``;
``LARO_KB_CACHE_DIR=`` (empty) turns the cache off, as does ``laro_kb.load(cache=False)``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Optional, Union

from .sql import SQLProgram

FORMAT = 1  # the layout of an entry; a change of it is a new code version anyway, this guards hand-made entries
DIRECTORY_ENV = "LARO_KB_CACHE_DIR"
KEEP = 8  # entries kept (the most recently used): a kb being edited leaves one per version it was loaded at
PACKAGE = Path(__file__).resolve().parents[1]  # laro_kb/


def default_directory() -> Optional[Path]:
    """The cache directory this process uses (None: the cache is off)."""
    chosen = os.environ.get(DIRECTORY_ENV)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError, OSError):  # no home directory to be found: no cache, and no failure
            return None
    return Path(base) / "laro-kb"


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """A hash of every module of laro_kb and of the Python that runs them: what derives an entry from kb/."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version_info[:2]}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class Rows:
    """The answers an engine gave to open questions (every argument a variable), read back from an entry: what the
    kb's vocabulary, pathways, criteria and policy are built from (their readers ``ask`` nothing else)."""

    def __init__(self, rows: dict[str, list[tuple]]):
        self._rows = rows

    def ask(self, pred: str, *args) -> list[tuple]:
        if any(a is not None for a in args):
            raise ValueError(f"a cached kb answers only open questions, not {pred}{args}")
        return list(self._rows.get(f"{pred}/{len(args)}", ()))


class Recorder:
    """An engine whose answers to open questions are noted as they are given (what an entry keeps)."""

    def __init__(self, engine):
        self.engine = engine
        self.rows: dict[str, list[tuple]] = {}

    def ask(self, pred: str, *args) -> list[tuple]:
        answer = self.engine.ask(pred, *args)
        if all(a is None for a in args):
            self.rows[f"{pred}/{len(args)}"] = answer
        return answer


class Entry:
    """One kb version's entry: ``kb.json`` (rows and load facts) and one file per compiled SQL program."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def open(cls, kb_version: str, directory: Union[str, Path, None, bool] = True) -> Optional["Entry"]:
        """The entry of ``kb_version`` in ``directory`` (True: :func:`default_directory`); None when the cache is
        off or its directory is not safely the user's."""
        if directory is False or directory is None:
            return None
        root = default_directory() if directory is True else Path(directory)
        if root is None or not _private(root):
            return None
        key = hashlib.sha256(f"{kb_version} {code_version()}".encode()).hexdigest()[:32]
        return cls(root / key)

    # -- the kb's rows -----------------------------------------------------------------------------------------
    def load(self) -> Optional[tuple[Rows, dict[str, int]]]:
        """The rows and materialized counts saved for this version, or None (no entry, or one that cannot be
        read, which is then derived again)."""
        data = self._read("kb.json")
        if data is None:
            return None
        try:
            rows = {key: [tuple(r) for r in value] for key, value in data["rows"].items()}
            materialized = {str(k): int(v) for k, v in data["materialized"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        try:
            os.utime(self.path)  # used now: the last to be pruned
        except OSError:
            pass
        return Rows(rows), materialized

    def save(self, rows: dict[str, list[tuple]], materialized: dict[str, int]) -> None:
        if self._write("kb.json", {"rows": {k: [list(r) for r in v] for k, v in sorted(rows.items())},
                                   "materialized": materialized}):
            _prune(self.path.parent, keep=self.path)

    # -- compiled SQL programs -----------------------------------------------------------------------------------
    def program(self, key: tuple[str, frozenset, bool]) -> Optional[SQLProgram]:
        data = self._read(_program_file(key) + ".json")
        if data is None:
            return None
        try:
            return SQLProgram.from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def save_program(self, key: tuple[str, frozenset, bool], program: SQLProgram) -> None:
        self._write(_program_file(key) + ".json", program.to_json())

    def image(self, key: tuple[str, frozenset, bool]) -> Optional[bytes]:
        """The SQLite database that the program of ``key`` built, as bytes (None: not saved, or not whole)."""
        try:
            data = (self.path / (_program_file(key) + ".db")).read_bytes()
        except OSError:
            return None
        digest, image = data[:32], data[32:]  # the image's SHA-256 first: a damaged image is built again
        return image if hashlib.sha256(image).digest() == digest else None

    def save_image(self, key: tuple[str, frozenset, bool], image: bytes) -> None:
        self._write_bytes(_program_file(key) + ".db", hashlib.sha256(image).digest() + image)

    # -- files -----------------------------------------------------------------------------------------------
    def _read(self, name: str) -> Optional[dict]:
        try:
            data = json.loads((self.path / name).read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("format") == FORMAT else None

    def _write(self, name: str, data: dict[str, Any]) -> bool:
        return self._write_bytes(name, json.dumps({"format": FORMAT, **data}, separators=(",", ":")).encode())

    def _write_bytes(self, name: str, data: bytes) -> bool:
        """Write a file of the entry whole or not at all (a reader never sees half of one)."""
        tmp = self.path / f".{name}.{os.getpid()}.tmp"
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, self.path / name)
            return True
        except (OSError, ValueError):
            try:
                tmp.unlink()
            except OSError:
                pass
            return False


def _program_file(key: tuple[str, frozenset, bool]) -> str:
    dialect, omit, coded = key
    return f"sql-{dialect}{'-coded' if coded else ''}{''.join('-' + k for k in sorted(omit))}"


def _private(root: Path) -> bool:
    """Whether ``root`` is the user's own (created if missing): owned by this user and writable by no other."""
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = root.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return True
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


def _prune(root: Path, keep: Path) -> None:
    """Remove all but the ``KEEP`` most recently used entries."""
    try:
        entries = sorted((p for p in root.iterdir() if p.is_dir() and p != keep),
                         key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


__all__ = ["Entry", "Rows", "Recorder", "code_version", "default_directory", "DIRECTORY_ENV"]
