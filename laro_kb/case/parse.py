"""Patient cases parsed and validated against the kb's vocabulary.

A case file is JSON or YAML. Fields are grouped as their dotted names say
(``patient.age`` is ``{"patient": {"age": 58}}``); ``id`` names the case. Any
field may be absent or null: it is then unknown, never false. Everything is
checked before a single fact is asserted, and a problem raises
:class:`~laro_kb.errors.CaseError` naming the file, the record, the field and
the nearest valid term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterator, Optional

from ..errors import CaseError, CaseErrors
from ..knowledge.vocabulary import Field, Vocabulary
from .files import Unreadable, read_data
from .model import Case, set_field
from .suggest import nearest, nearest_term

ICD10 = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
ICD10_NO_DOT = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{1,4}$")  # C349: the dot goes after the third character
SECTION, SUBSECTION, ICD10_FIELD = "diagnosis.section", "diagnosis.subsection", "diagnosis.icd10"
MAX_LISTED = 12  # a refused term lists the valid terms when there are at most this many
MAX_TEXT = 2000
MAX_ID = 200
UNKNOWN = "unknown"  # accepted for any term field; the same as null


def load_case_file(path: str | Path, vocabulary: Vocabulary, *, data: Any = None) -> Case:
    """A case file read and validated (``data``: its content, when already read)."""
    path = Path(path)
    data = read_data(path) if data is None else data
    if isinstance(data, list):
        raise CaseError("holds a list; a case file holds one case (use 'laro-kb batch' for many)", file=str(path))
    return parse_case(data, vocabulary, file=str(path))


def parse_case(data: Any, vocabulary: Vocabulary, *, file: Optional[str] = None,
               record: Optional[str] = None, default_id: str = "case") -> Case:
    """Validate ``data`` (the nested mapping of a case file) and return a :class:`Case`.

    Every problem of the case is found before any is reported: one raises its :class:`CaseError`, several raise
    :class:`CaseErrors` listing each with its field and suggestion."""
    if not isinstance(data, Mapping):
        raise CaseError(f"a case must be a mapping of fields, not {_kind(data)}", file=file, record=record)
    errors: list[CaseError] = []
    case_id = data.get("id", default_id)
    if isinstance(case_id, Unreadable):
        errors.append(CaseError(case_id.message, file=file, record=record, field="id", line=case_id.line))
        case_id = default_id
    elif not isinstance(case_id, (str, int)) or isinstance(case_id, bool) or _too_long(case_id, MAX_ID) \
            or _has_control(str(case_id)) or not str(case_id).strip():
        errors.append(CaseError(f"must be text of 1 to {MAX_ID} characters, not blank, with no control characters "
                                "or lone surrogates", file=file, record=record, field="id"))
        case_id = default_id
    case_id = str(case_id)
    record = record or case_id
    values: dict[str, Any] = {}
    written: dict[str, Any] = {}
    aliases: set[tuple[str, str, str]] = set()
    given: dict[str, str] = {}
    for item in _flatten(data, vocabulary, file, record):
        if isinstance(item, CaseError):
            errors.append(item)
            continue
        name, where, value = item
        if name in given:
            errors.append(CaseError(f"is given twice: as {given[name]} and as {where}; give it once", file=file,
                                    record=record, field=name))
            continue
        given[name] = where
        try:
            values[name], names = read_value(vocabulary, name, value, file=file, record=record)
        except CaseErrors as exc:
            errors.extend(exc.errors)
            continue
        except CaseError as exc:
            errors.append(exc)
            continue
        if names:
            written[name] = tuple(value) if isinstance(value, list) else value
            aliases.update((name, w, t) for w, t in names)
    values = {k: v for k, v in values.items() if v is not None}
    derived: tuple[tuple[str, str], ...] = ()
    if SECTION not in values and ICD10_FIELD in values and SECTION in vocabulary.fields:
        proposed = vocabulary.section_of_code(values[ICD10_FIELD])
        if proposed is not None:  # the kb's code table places the code in one section
            values[SECTION], derived = proposed, ((SECTION, ICD10_FIELD),)
    if SUBSECTION not in values and SECTION in values and ICD10_FIELD in values and SUBSECTION in vocabulary.fields:
        proposed = vocabulary.subsection_of_code(values[ICD10_FIELD], values[SECTION])
        if proposed is not None:  # ... and in one subsection of the case's section
            values[SUBSECTION], derived = proposed, derived + ((SUBSECTION, ICD10_FIELD),)
    if not errors:
        errors += _check_consistency(values, vocabulary, file, record)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise CaseErrors(errors)
    return Case(case_id, tuple(sorted(values.items())), file,
                tuple(sorted((k, v) for k, v in written.items() if k in values)),
                tuple(sorted(a for a in aliases if a[0] in values)), derived)


def case_from_keywords(vocabulary: Vocabulary, case_id: str = "case", **keywords) -> Case:
    """Build a case from keywords: ``age=58`` (a unique leaf name) or ``patient__age=58``."""
    data: dict = {"id": case_id}
    for name, value in resolve_pairs([(key.replace("__", "."), value) for key, value in keywords.items()],
                                     vocabulary):
        set_field(data, name, value)
    return parse_case(data, vocabulary, record=case_id)


def resolve_pairs(pairs: list[tuple[str, Any]], vocabulary: Vocabulary) -> list[tuple[str, Any]]:
    """(full field name, value) for (full or short name, value) pairs; a field named twice is refused, since one of
    its values would silently replace the other."""
    named: dict[str, str] = {}
    out = []
    for name, value in pairs:
        full = resolve_field(name, vocabulary)
        if full in named:
            raise CaseError(f"is given twice: as '{named[full]}' and as '{name}'; give it once", field=full)
        named[full] = name
        out.append((full, value))
    return out


def resolve_field(name: str, vocabulary: Vocabulary) -> str:
    """A full field name from a full or unambiguous short one (``age`` -> ``patient.age``)."""
    if name in vocabulary.fields:
        return name
    matches = [f for f in vocabulary.fields if f.rsplit(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CaseError(f"is ambiguous: say one of {', '.join(sorted(matches))}", field=name)
    raise CaseError("is not a field of the case format", field=name,
                    suggestion=nearest(name, list(vocabulary.fields) +
                                       [f.rsplit(".", 1)[-1] for f in vocabulary.fields]))


def read_value(vocabulary: Vocabulary, name: str, value: Any, *, file=None,
               record=None) -> tuple[Any, list[tuple[str, str]]]:
    """The validated value of field ``name`` (``None`` for unknown), and the names written for terms: (name as
    written, the term it stands for), for a synonym, a drug or regimen, a term in other case, or an ICD-10 code
    written without its dot. A list reports every bad item at once."""
    f = vocabulary.fields[name]

    def err(message, suggestion=None, line=None):
        return CaseError(message, file=file, record=record, field=f.name, suggestion=suggestion, line=line)

    if isinstance(value, Unreadable):
        raise err(value.message, line=value.line)
    if value is None or (f.type in ("term", "terms") and value == UNKNOWN):
        return None, []
    if f.type == "bool":
        if not isinstance(value, bool):
            raise err(f"must be true, false or null, not {_kind(value)}")
        return value, []
    if f.type == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise err(f"must be a whole number, not {_show(value) if isinstance(value, float) else _kind(value)}")
        if f.bounds and not f.bounds[0] <= value <= f.bounds[1]:
            raise err(f"{_show(value)} is impossible: must be from {f.bounds[0]} to {f.bounds[1]}")
        if f.step and value % f.step:
            raise err(f"{_show(value)} is not a multiple of {f.step}")
        return value, []
    if f.type == "term":
        terms = _terms(vocabulary, f, value, err)
        if len(terms) != 1:
            raise err(f"{_show(value)} stands for several terms ({', '.join(terms)}); {f.name} takes one")
        return terms[0], ([] if value == terms[0] else [(value, terms[0])])
    if f.type == "terms":
        if not isinstance(value, (list, tuple)):
            raise err(f"must be a list of terms, not {_kind(value)}")
        out: set = set()
        names: list = []
        problems = []
        for v in value:
            try:
                terms = _terms(vocabulary, f, v, err)
            except CaseError as exc:
                problems.append(exc)
                continue
            out.update(terms)
            names += [(v, t) for t in terms if v != t]
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise CaseErrors(problems)
        return tuple(sorted(out)), names
    if f.type == "code":
        code = icd10(value)
        if code is None:
            raise err(f"{_show(value)} is not an ICD-10 code such as C34.90 (or C3490)")
        return code, ([] if value == code else [(value, code)])
    if f.type == "text":
        if not isinstance(value, str):
            raise err(f"must be text, not {_kind(value)}")
        if len(value) > MAX_TEXT:
            raise err(f"is longer than {MAX_TEXT} characters")
        if _has_control(value.replace("\n", "").replace("\t", "")):
            raise err("contains a control character or a lone surrogate (not Unicode text)")
        return value, []
    raise err(f"has unsupported type {f.type}")  # pragma: no cover - Vocabulary refuses other types


def icd10(value: Any) -> Optional[str]:
    """An ICD-10 code in its written form with the dot (C34.9), from C34.9, c34.9 or C349; None if it is not one."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if ICD10_NO_DOT.match(code):
        code = code[:3] + "." + code[3:]
    return code if ICD10.match(code) else None


def _terms(vocabulary: Vocabulary, f: Field, value: Any, err) -> tuple[str, ...]:
    """The terms one written value stands for: a term, a synonym, or (in a treatment-history list) a drug or
    regimen name, whose therapy classes it stands for."""
    if isinstance(value, Unreadable):
        raise err(value.message, line=value.line)
    if not isinstance(value, str):
        raise err(f"must be one of the terms of {f.name}, not {_kind(value)}",
                  nearest_term(str(value), f.term_names()))
    term = vocabulary.term(f.name, value)
    if term is not None:
        return (term,)
    names = f.term_names()
    therapy = vocabulary.therapy(value) if f.name in vocabulary.therapy_fields else None
    if therapy is not None:
        return therapy.classes
    words = vocabulary.words(f.name)
    suggestion = nearest_term(value, names + words)
    if suggestion is not None:
        return _refuse(err, value, vocabulary.synonyms.get((f.name, suggestion), suggestion), None)
    return _refuse(err, value, None, names if len(names) <= MAX_LISTED else None)


def _refuse(err, value, suggestion, listed):
    listing = f"; valid terms: {', '.join(listed)}" if listed else ""
    raise err(f"{_show(value)} is not a valid term{listing}", suggestion)


def _flatten(data: Mapping, vocabulary: Vocabulary, file, record, prefix: str = "",
             inside: str = "") -> Iterator[tuple[str, str, Any] | CaseError]:
    """(field name, where it was given, value) for every field of a case's nested mapping, or the CaseError of a
    key that is not one."""
    groups = vocabulary.groups()
    for key, value in data.items():
        if not isinstance(key, str):
            unreadable = key if isinstance(key, Unreadable) else \
                Unreadable(f"field names must be text, not {_kind(key)}")
            yield CaseError(unreadable.message, file=file, record=record, field=prefix[:-1] or None,
                            line=unreadable.line)
            continue
        name = prefix + key
        if not prefix and key == "id":
            continue
        where = f"'{key}'" + (f" inside {inside}" if inside else "")
        if name in vocabulary.fields:
            yield name, where, value
        elif name in groups:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                yield CaseError(f"is a group of fields and must be a mapping, not {_kind(value)}",
                                file=file, record=record, field=name)
                continue
            yield from _flatten(value, vocabulary, file, record, name + ".", where)
        else:
            candidates = [n for n in list(vocabulary.fields) + sorted(groups)
                          if n.startswith(prefix) and n.count(".") == name.count(".")]
            yield CaseError("is not a field of the case format", file=file, record=record, field=name,
                            suggestion=nearest(name, candidates or vocabulary.fields))


def _check_consistency(values: dict, vocabulary: Vocabulary, file, record) -> list[CaseError]:
    out = []
    for c in vocabulary.conflicts:
        if values.get(c.field1) == c.value1 and values.get(c.field2) == c.value2:
            out.append(CaseError(f"contradicts {c.field2}: {c.reason}", file=file, record=record, field=c.field1))
    sub = values.get("diagnosis.subsection")
    sec = values.get("diagnosis.section")
    if sub and sec and sub != "other" and vocabulary.subsection_of.get(sub) != sec:
        out.append(CaseError(f"'{sub}' is a subsection of '{vocabulary.subsection_of.get(sub)}', not of '{sec}'",
                             file=file, record=record, field="diagnosis.subsection"))
    return out


def _has_control(text: str) -> bool:
    """Control characters, line separators, and lone surrogates (which no encoding can write)."""
    return any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029" or 0xD800 <= ord(ch) <= 0xDFFF
               for ch in text)


def _too_long(value: str | int, limit: int) -> bool:
    """Longer than ``limit`` characters when written out (a huge number is not written out to find that)."""
    if isinstance(value, int) and value.bit_length() > 4 * limit:
        return True
    return len(str(value)) > limit


def _kind(value: Any) -> str:
    if isinstance(value, Unreadable):
        return f"a value that cannot be read ({value.message})"
    return {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping",
            type(None): "null"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"  # str() refuses over 4,300 digits
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
