"""The case vocabulary: fields and terms, as the knowledge base declares them.

Nothing here lists a field or a term: :meth:`Vocabulary.from_engine` asks the
loaded kb for ``field/3``, ``term/3``, ``bounds/3``, ``step/2``,
``immutable/1``, ``is_a/2``, ``conflict/5`` and ``subsection_of/2``, and for the
drug table of kb/drugs.dl (``drug/2``, ``rxnorm/2``, ``brand/2``, ``drug_regimen/2``,
``component/2``, ``drug_class/2``) with the treatment-history fields it applies to
(``history_list/1``). :meth:`Vocabulary.therapy` and :meth:`Vocabulary.therapy_by_rxcui`
are the only way other code reads that table.
It also reads the tables FHIR input is read through (laro_kb/fhir): the policy's code table (``code/3``,
``code_section/2``, ``code_subsection/2``) and the prescriber specialties (``specialty/3``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cached_property
from typing import Optional

from ..errors import KBError

COMBINATION = re.compile(r"\s*(?:/|\+|,|\band\b|\bwith\b|\bplus\b)\s*", re.IGNORECASE)

TYPES = ("term", "terms", "int", "bool", "code", "text")


def normal(word: str) -> str:
    """A word as it is compared with terms, synonyms and drug names: lower case, with runs of spaces, hyphens and
    underscores as one space (``MSI-H``, ``msi_h`` and ``msi h`` are the same)."""
    return re.sub(r"[\s_\-]+", " ", str(word).strip().lower()).strip()


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
        return list(self._term_names)

    @cached_property
    def _term_names(self) -> tuple[str, ...]:  # asked for every term of every case parsed: built once
        return tuple(t for t, _ in self.terms)

    @cached_property
    def term_set(self) -> frozenset[str]:
        """The field's terms, to test a word against."""
        return frozenset(self._term_names)

    @cached_property
    def normal_terms(self) -> dict[str, str]:
        """Each term by its normal form (:func:`normal`): ``single agent`` -> ``single_agent``."""
        out: dict[str, str] = {}
        for t in self._term_names:
            out.setdefault(normal(t), t)  # the first term of a normal form, as a scan in order finds it
        return out


@dataclass(frozen=True)
class Conflict:
    field1: str
    value1: object
    field2: str
    value2: object
    reason: str


@dataclass(frozen=True)
class Therapy:
    """A drug or regimen name of kb/drugs.dl, and the therapy classes (vocabulary terms) it stands for."""
    name: str  # the table's name: a generic drug name, a regimen, or several joined by '/'
    classes: tuple[str, ...]  # terms of the treatment-history fields
    rxcui: Optional[str] = None  # RxNorm ingredient code, where the kb lists one
    components: tuple[str, ...] = ()  # the drugs of a regimen or combination
    description: str = ""

    def shown(self) -> str:
        """The classes in words: ``checkpoint inhibitor``, ``platinum chemotherapy``."""
        return ", ".join(c.replace("_", " ") for c in self.classes)


@dataclass(frozen=True)
class Code:
    """An entry of the policy's code table: the code, its description, and the sections it belongs to."""
    code: str
    system: str
    description: str = dc_field(compare=False)  # shown, never read by a decision: an edit of it decides nothing
    sections: tuple[str, ...] = ()
    subsections: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    fields: dict = dc_field(default_factory=dict)  # name -> Field
    is_a: tuple[tuple[str, str], ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    subsection_of: dict = dc_field(default_factory=dict)  # subsection -> section
    therapies: dict = dc_field(default_factory=dict)  # drug or regimen name -> Therapy
    therapy_names: dict = dc_field(default_factory=dict)  # lower-case name, brand or abbreviation -> table name
    rxcuis: dict = dc_field(default_factory=dict)  # RxCUI -> drug name
    therapy_fields: frozenset = frozenset()  # the fields whose terms drug and regimen names stand for
    synonyms: dict = dc_field(default_factory=dict)  # (field, normalized word) -> term
    codes: dict = dc_field(default_factory=dict)  # ICD-10 code -> Code (kb/codes.dl)
    specialties: dict = dc_field(default_factory=dict)  # NUCC taxonomy code -> prescriber term (kb/specialties.dl)

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
        is_a = tuple(sorted(engine.ask("is_a", None, None)))
        therapies, names, rxcuis = _therapies(engine, fields, is_a)
        return cls(fields, is_a, conflicts, dict(engine.ask("subsection_of", None, None)), therapies, names, rxcuis,
                   frozenset(f for (f,) in engine.ask("history_list", None)), _synonyms(engine, fields),
                   codes=_codes(engine), specialties=_specialties(engine, fields))

    def section_of_code(self, code: str) -> Optional[str]:
        """The policy section the kb's code table (kb/codes.dl) gives an ICD-10 code, or None: the code's own row,
        else the row of the nearest code it falls under (C25.0 under C25); None when that row names several
        sections (C71.0: cns and pediatric_cns) or none."""
        sections = self._nearest_row(code, "sections")
        return sections[0] if len(sections) == 1 else None

    def subsection_of_code(self, code: str, section: str) -> Optional[str]:
        """The subsection of ``section`` that the code table gives an ICD-10 code (its own row, else the row of the
        nearest code it falls under that names subsections: C23 gallbladder, C22.1 intrahepatic
        cholangiocarcinoma), or None: no row names one, it names several, or one of another section."""
        subsections = self._nearest_row(code, "subsections")
        if len(subsections) != 1 or self.subsection_of.get(subsections[0]) != section:
            return None
        return subsections[0]

    def _nearest_row(self, code: str, column: str) -> tuple[str, ...]:
        """``column`` of the code table's row for ``code``, else of the nearest code it falls under with one."""
        rows = [c for c, row in self.codes.items() if getattr(row, column)
                and (code == c or code.startswith(c if "." in c else c + ".") or ("." in c and code.startswith(c)))]
        return getattr(self.codes[max(rows, key=len)], column) if rows else ()

    def term(self, field: str, word) -> Optional[str]:
        """The term of ``field`` that ``word`` names: the term itself, in any case and with spaces, hyphens or
        underscores alike (``Single-agent``), or one of its synonyms or abbreviations (``MSS``, ``monotherapy``)."""
        if not isinstance(word, str):
            return None
        f = self.fields[field]
        if word in f.term_set:
            return word
        key = normal(word)
        return f.normal_terms.get(key) or self.synonyms.get((field, key))

    def words(self, field: str) -> list[str]:
        """Every word accepted for ``field`` besides its terms: its synonyms (normalized)."""
        return sorted(w for f, w in self.synonyms if f == field)

    def therapy(self, name: str) -> Optional[Therapy]:
        """The drug or regimen a name stands for (any case; generic, brand or abbreviation), or None.

        A combination written with '/', '+', ',', 'and', 'with' or 'plus' (``paclitaxel + carboplatin``) stands for
        its drugs together when each of them is in the table."""
        if not isinstance(name, str) or len(name) > 200:
            return None
        key = normal(name)
        known = self.therapy_names.get(key)
        if known is not None:
            return self.therapies[known]
        parts = [p for p in COMBINATION.split(key) if p]
        if len(parts) < 2:
            return None
        found = [self.therapy(p) for p in parts]
        if any(t is None for t in found):
            return None
        classes = most_specific({c for t in found for c in t.classes}, self.is_a)
        drugs = tuple(d for t in found for d in (t.components or (t.name,)))
        return Therapy("/".join(t.name for t in found), classes, None, drugs, "combination")

    def therapy_by_rxcui(self, code: str) -> Optional[Therapy]:
        """The drug with RxNorm ingredient code ``code`` (text or number), or None."""
        name = self.rxcuis.get(str(code).strip())
        return self.therapies[name] if name is not None else None

    def code(self, code: str) -> Optional["Code"]:
        """The code table's entry for an ICD-10 code, or for the nearest category above it (C25.1 is read under
        C25), or None when neither the code nor a category of it is listed."""
        code = code.strip().upper()
        while len(code.replace(".", "")) >= 3:
            if code in self.codes:
                return self.codes[code]
            code = code[:-1].rstrip(".")
        return None

    def groups(self) -> frozenset[str]:
        """The field groups (``patient``, ``diagnosis``, ...): computed once, on the parse path of every case."""
        return self._groups

    @cached_property
    def _groups(self) -> frozenset[str]:
        return frozenset(f.group for f in self.fields.values() if f.group)


def most_specific(terms, is_a) -> tuple[str, ...]:
    """``terms`` less those that another of them is a kind of (chemotherapy and platinum_chemotherapy: the latter)."""
    parents: dict[str, set] = {}
    for kind, parent in is_a:
        parents.setdefault(kind, set()).add(parent)
    above: set = set()
    todo = [p for t in terms for p in parents.get(t, ())]
    while todo:
        t = todo.pop()
        if t not in above:
            above.add(t)
            todo.extend(parents.get(t, ()))
    return tuple(sorted(set(terms) - above))


def _synonyms(engine, fields: dict) -> dict:
    """synonym(Field, Word, Term) facts, normalized: each names a term of its field, and no word names two terms of
    one field or another term of it."""
    out: dict = {}
    for field, word, term in engine.ask("synonym", None, None, None):
        f = fields.get(field)
        if f is None or term not in f.term_names():
            raise KBError(f"synonym {word!r} names {field}: {term!r}, which is not a term of that field")
        key = normal(word)
        if not key:
            raise KBError(f"synonym {word!r} of {field}: {term!r} is empty once spaces, hyphens and underscores go")
        clash = out.get((field, key)) or next((t for t in f.term_names() if normal(t) == key and t != term), None)
        if clash not in (None, term):
            raise KBError(f"the word {word!r} names both {clash!r} and {term!r} of {field}")
        out[(field, key)] = term
    return out


def _therapies(engine, fields: dict, is_a) -> tuple[dict, dict, dict]:
    """The drug table of kb/drugs.dl, checked against the vocabulary: every class is a term of the history fields,
    every component and brand names a drug or regimen, and no two names collide."""
    classes: dict[str, set] = {}
    for name, cls in engine.ask("drug_class", None, None):
        classes.setdefault(name, set()).add(cls)
    for name, found in classes.items():  # the most specific classes: FOLFOX is a platinum chemotherapy
        classes[name] = set(most_specific(found, is_a))
    therapy_terms = {t for f in fields.values() if f.type == "terms" for t in f.term_names()}
    for name, cls in engine.ask("drug", None, None):
        if cls not in therapy_terms:
            raise KBError(f"drug {name!r} has class {cls!r}, which is not a therapy term of the vocabulary")
    codes: dict[str, str] = {}
    rxcuis: dict[str, str] = {}
    for name, code in sorted(engine.ask("rxnorm", None, None)):
        for key, value, table in ((name, code, codes), (code, name, rxcuis)):
            if table.setdefault(key, value) != value:
                raise KBError(f"RxCUI {code} is given for both {rxcuis[code]!r} and {name!r}" if table is rxcuis
                              else f"drug {name!r} is given two RxCUIs, {codes[name]} and {code}")
        if name not in classes:
            raise KBError(f"RxCUI {code} is given for {name!r}, which is not a drug of the table")
    components: dict[str, list] = {}
    for regimen, drug in engine.ask("component", None, None):
        if drug not in classes:
            raise KBError(f"regimen {regimen!r} names {drug!r}, which is not a drug of the table")
        components.setdefault(regimen, []).append(drug)
    descriptions = dict(engine.ask("drug_regimen", None, None))
    therapies = {}
    for name in sorted(classes):
        therapies[name] = Therapy(name, tuple(sorted(classes[name])), codes.get(name),
                                  tuple(sorted(components.get(name, ()))), descriptions.get(name, ""))
    names = {normal(name): name for name in therapies}
    for brand, name in engine.ask("brand", None, None):
        if name not in therapies:
            raise KBError(f"brand {brand!r} names {name!r}, which is not a drug or regimen of the table")
        if names.get(normal(brand), name) != name:
            raise KBError(f"the name {brand!r} stands for both {names[normal(brand)]!r} and {name!r}")
        names[normal(brand)] = name
    return therapies, names, rxcuis


def _codes(engine) -> dict:
    sections: dict[str, set] = {}
    subsections: dict[str, set] = {}
    for code, section in engine.ask("code_section", None, None):
        sections.setdefault(code, set()).add(section)
    for code, subsection in engine.ask("code_subsection", None, None):
        subsections.setdefault(code, set()).add(subsection)
    return {code: Code(code, system, text, tuple(sorted(sections.get(code, ()))),
                       tuple(sorted(subsections.get(code, ()))))
            for code, system, text in engine.ask("code", None, None, None)}


def _specialties(engine, fields: dict) -> dict:
    out = {}
    prescriber = fields.get("prescriber")
    for code, _, term in engine.ask("specialty", None, None, None):
        if prescriber is None or term not in prescriber.term_names():
            raise KBError(f"specialty {code!r} reads as prescriber {term!r}, which is not a term of 'prescriber'")
        out[code] = term
    return out
