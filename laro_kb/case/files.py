"""Case data read from a file: UTF-8 JSON or YAML, bounded in size, strict about repeated keys.

Reading only: what the data means is checked by :mod:`laro_kb.case.parse`.

The readers never let a third-party loader's own exception out. A value that can be read but not held (an integer
too long to convert, ``NaN``, a YAML ``!!int x`` or an impossible date) becomes an :class:`Unreadable` in its place,
so that the validator names the field it stands in; everything else that cannot be read is a
:class:`~laro_kb.errors.CaseError` naming the file (and the line where known).
"""

from __future__ import annotations

import functools
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import CaseError

MAX_FILE_BYTES = 1 << 20  # a case file over 1 MiB is refused unread
MAX_DIGITS = 1000  # a number written with more digits than this is no case value (Python refuses over 4,300)
MAX_ALIAS_REPEAT = 10_000  # YAML aliases may repeat this many nodes in all (a case needs a few dozen)
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, eq=False)
class Unreadable:
    """A value in the data that could not be read as one: the validator reports it at its field."""

    message: str
    line: Optional[int] = None

    def __str__(self) -> str:
        return self.message


def show_bytes(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n:,} bytes"


def read_data(path: Path, *, limit: int = MAX_FILE_BYTES, fifo: bool = True) -> Any:
    """The data of a case (or test) file. Only a regular file is read (or a FIFO, unless ``fifo`` is false), and
    at most ``limit`` bytes of it: a device, a socket or a file that never ends is refused, not read."""
    path = Path(path)
    raw = _read_bounded(path, limit, fifo)
    return load_text(decode(raw, str(path)), str(path), yaml_text=path.suffix.lower() in YAML_SUFFIXES)


def _read_bounded(path: Path, limit: int, fifo: bool = True) -> bytes:
    where = str(path)
    try:
        _check_readable(os.stat(path), where, fifo)
        with path.open("rb") as handle:
            _check_readable(os.fstat(handle.fileno()), where, fifo)  # the same file as was checked
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise CaseError("no such file", file=where) from None
    except OSError as exc:
        raise CaseError(f"cannot be read ({exc.strerror or exc})", file=where) from None
    if len(raw) > limit:
        raise CaseError(f"is larger than {show_bytes(limit)}; a case file is a few kilobytes", file=where)
    return raw


def _check_readable(st: os.stat_result, where: str, fifo: bool = True) -> None:
    """Refuse what is not a regular file (or a FIFO, when ``fifo``): reading a device could hang or never end."""
    if stat.S_ISDIR(st.st_mode):
        raise CaseError("is a directory, not a case file", file=where)
    if not (stat.S_ISREG(st.st_mode) or (fifo and stat.S_ISFIFO(st.st_mode))):
        raise CaseError(f"is not a regular file but {file_kind(st)}; only files"
                        + (" and pipes" if fifo else "") + " are read", file=where)


def file_kind(st: os.stat_result) -> str:
    mode = st.st_mode
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISFIFO, "a pipe"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "a special file"  # pragma: no cover - every kind of file is named above


def decode(raw: bytes, file: str, line: Optional[int] = None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(f"is not UTF-8 text (byte {exc.start})", file=file, line=line) from None


def load_text(text: str, file: str, *, yaml_text: bool = False, line: Optional[int] = None) -> Any:
    """JSON (or YAML) text as data; ``line`` is where the text starts in ``file`` (a JSON Lines record)."""
    try:
        if yaml_text:
            return _load_yaml(text, file)
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_int=_int, parse_float=_float,
                          parse_constant=_constant)
    except RecursionError:
        raise CaseError("is nested too deeply to be a case", file=file, line=line) from None
    except _DuplicateKey as exc:
        raise CaseError(f"has the key '{exc.key}' twice in one mapping", file=file, line=exc.line or line) from None
    except _Refused as exc:
        raise CaseError(exc.message, file=file, line=exc.line or line) from None
    except json.JSONDecodeError as exc:
        raise CaseError(f"is not valid JSON: {exc.msg}", file=file, line=line or exc.lineno) from None


def _load_yaml(text: str, file: str) -> Any:
    import yaml  # imported by a process that reads YAML
    try:
        return yaml.load(text, Loader=_strict_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CaseError(f"is not valid YAML: {getattr(exc, 'problem', None) or exc}", file=file,
                        line=(mark.line + 1) if mark else None) from None


class _DuplicateKey(Exception):
    def __init__(self, key, line=None):
        super().__init__(key)
        self.key, self.line = key, line


class _Refused(Exception):
    def __init__(self, message: str, line: Optional[int] = None):
        super().__init__(message)
        self.message, self.line = message, line


def _unique_pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _too_long(digits: str) -> Optional[Unreadable]:
    n = len(digits.lstrip("+-"))
    return Unreadable(f"a number of {n:,} digits is too long to be a case value") if n > MAX_DIGITS else None


def _int(text: str):
    return _too_long(text) or int(text)


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else Unreadable(f"{text[:40]} is too large to be a number")


def _constant(text: str) -> Unreadable:
    return Unreadable(f"{text} is not a number a case can hold")  # NaN, Infinity, -Infinity


# -- YAML -------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _strict_loader():
    """The YAML loader of case files, made on first use (PyYAML is imported by a process that reads YAML)."""
    import yaml

    class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """A safe YAML loader that refuses a key given twice (YAML would silently keep the last), refuses aliases
        that repeat more than MAX_ALIAS_REPEAT nodes (a 'billion laughs' file) or refer to themselves, and turns a
        scalar that its tag cannot hold ('!!int x', an impossible date, a non-finite float) into an
        :class:`Unreadable`. It parses with libyaml where PyYAML has it (several times faster), else in Python; it
        constructs in Python."""

        def get_single_node(self):
            node = super().get_single_node()
            if node is None:
                return node
            repeated = _alias_repeat(node)
            if repeated > MAX_ALIAS_REPEAT:
                raise _Refused(f"is refused: its YAML aliases ('*name') would repeat {_at_least(repeated)} nodes, "
                               f"and at most {MAX_ALIAS_REPEAT:,} may be repeated")
            return node

        def construct_mapping(self, node, deep=False):
            if not isinstance(node, yaml.MappingNode):  # '!!map text', '!!set text'
                raise yaml.constructor.ConstructorError(None, None, f"expected a mapping, but found {node.id}",
                                                        node.start_mark)
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *base' may be overridden by explicit keys
                    continue
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (list, dict, set)):
                    continue  # not a key at all: construct_pairs below puts an Unreadable in its place
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1)
                seen.add(key)
            self.flatten_mapping(node)
            mapping = {}
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (list, dict, set)):
                    line = key_node.start_mark.line + 1
                    kind = {list: "a list", dict: "a mapping", set: "a set"}[type(key)]
                    key = Unreadable(f"{kind} cannot be a field name", line)
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

    for tag, kind in (("int", "integer"), ("float", "number"), ("bool", "boolean"), ("timestamp", "date")):
        _StrictLoader.add_constructor(f"tag:yaml.org,2002:{tag}",
                                      _guarded(yaml.SafeLoader.yaml_constructors[f"tag:yaml.org,2002:{tag}"], kind))
    return _StrictLoader


def _at_least(n: int) -> str:
    return f"{n:,}" if n < 10 ** 12 else "over 10^12"


def _alias_repeat(root) -> int:
    """How many nodes aliases add when ``root`` is written out in full (0 without aliases). A node that contains
    itself would repeat without end: that is refused here, before anything is constructed."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list = [(root, False)]
    while stack:
        node, closing = stack.pop()
        children = _children(node)
        if closing:
            open_.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            raise _Refused("is refused: a YAML alias refers to a node that contains it, which would repeat without end",
                           node.start_mark.line + 1)
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)] - len(sizes)


def _children(node) -> list:
    import yaml
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _guarded(construct, kind: str):
    """A YAML scalar constructor whose failure is an Unreadable value, not an exception from inside PyYAML."""
    import yaml

    def guarded(loader, node):
        line = node.start_mark.line + 1
        if kind in ("integer", "number"):
            long = _too_long(str(node.value).replace("_", ""))
            if long is not None:
                return Unreadable(long.message, line)
        try:
            value = construct(loader, node)
        except yaml.YAMLError:
            raise
        except Exception:  # noqa: BLE001 - untrusted text in a third-party constructor: '!!int', '!!timestamp 0b1'
            return Unreadable(f"{_clip(node.value)} is not a valid {kind}", line)
        if isinstance(value, float) and not math.isfinite(value):
            return Unreadable(f"{_clip(node.value)} is not a number a case can hold", line)
        return value
    return guarded


def _clip(text) -> str:
    text = repr(str(text))
    return text if len(text) <= 60 else text[:57] + "...'"
