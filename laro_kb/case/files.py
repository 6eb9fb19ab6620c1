"""Case data read from a file: UTF-8 JSON or YAML, bounded in size, strict about repeated keys.

Reading only: what the data means is checked by :mod:`laro_kb.case.parse`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import CaseError

MAX_FILE_BYTES = 1 << 20  # a case file over 1 MiB is refused unread


def read_data(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CaseError(f"is larger than {MAX_FILE_BYTES >> 20} MiB; a case file is a few kilobytes", file=str(path))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CaseError("no such file", file=str(path)) from None
    except IsADirectoryError:
        raise CaseError("is a directory, not a case file", file=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(f"is not UTF-8 text (byte {exc.start})", file=str(path)) from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.load(text, Loader=_UniqueKeyLoader)
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except RecursionError:
        raise CaseError("is nested too deeply to be a case file", file=str(path)) from None
    except _DuplicateKey as exc:
        raise CaseError(f"has the key '{exc.key}' twice in one mapping", file=str(path), line=exc.line) from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"is not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CaseError(f"is not valid YAML: {getattr(exc, 'problem', None) or exc}", file=str(path),
                        line=(mark.line + 1) if mark else None) from None


class _DuplicateKey(Exception):
    def __init__(self, key, line=None):
        super().__init__(key)
        self.key, self.line = key, line


def _unique_pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *base' may be overridden by explicit keys
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
