"""Documents generated from the knowledge base, so that they cannot drift from it.

``python -m laro_kb.author.docgen`` rewrites docs/pathways.md, docs/vocabulary.md and docs/case.schema.json from the
shipped kb/; ``python -m laro_kb.author.docgen --check`` exits 1 if any of them is out of date (the tests run it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..knowledge.pathways import DIMENSIONS
from ..knowledgebase import KnowledgeBase, load

SCHEMA_ID = "laro-kb/case/1"


def pathways_markdown(kb: KnowledgeBase) -> str:
    out = ["# Pathways", "",
           "Generated from kb/ by `python -m laro_kb.author.docgen`; do not edit by hand.", "",
           f"{len(kb.pathways)} approving pathways in {len({p.section for p in kb.pathways.values()})} sections.", ""]
    section = None
    for p in kb.pathways.values():
        if p.section != section:
            section = p.section
            out += [f"## {p.section_heading} (`{p.section}`)", ""]
        out.append(f"### `{p.id}`" + (f" ({p.subsection_heading})" if p.subsection_heading else ""))
        out += ["", f"> {p.text}", "", f"Source: {p.source if p.source else 'none recorded'}"]
        if p.source and p.source.citation:
            out.append(f"({p.source.citation})")
        out.append("")
        for dim in DIMENSIONS:
            crits = sorted(k for (pid, k), d in kb.links.items() if pid == p.id and d == dim)
            if crits:
                label = "excluded when" if dim == "exclusion" else dim
                out.append(f"- {label}: " + "; ".join(
                    f"{kb.criteria[k].label if k in kb.criteria else k} (`{k}`)" for k in crits))
        out += _derivations_markdown(kb, [k for (pid, k) in kb.links if pid == p.id])
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _derivations_markdown(kb: KnowledgeBase, linked: list[str]) -> list[str]:
    """The derivations of a pathway's criteria and their parts: what settles each without its own fields."""
    def name(k: str) -> str:
        return f"{kb.criteria[k].label if k in kb.criteria else k} (`{k}`)"
    seen, todo, out = set(), sorted(linked), []
    while todo:
        k = todo.pop(0)
        if k in seen:
            continue
        seen.add(k)
        todo += sorted(kb.criteria[k].parts) if k in kb.criteria else []
        for d in kb.derivations.get(k, ()):
            unless = f", unless {' or '.join(name(b) for b in d.unless)} is met" if d.unless else ""
            out.append(f"- by derivation: {name(k)} is {d.settles} when {name(d.source)} is met and its own facts "
                       f"are not documented{unless}")
    return out


def vocabulary_markdown(kb: KnowledgeBase) -> str:
    out = ["# Case vocabulary", "", "Generated from kb/ by `python -m laro_kb.author.docgen`; do not edit by hand.",
           "The guide to the case format is docs/case-format.md. A term may be written in any case, with spaces, "
           "hyphens or underscores alike, or as one of the words listed with it (kb `synonym/3`).", ""]
    words = _words(kb)
    for f in kb.vocabulary.fields.values():
        extra = []
        if f.bounds:
            extra.append(f"{f.bounds[0]}-{f.bounds[1]}")
        if f.step:
            extra.append(f"multiples of {f.step}")
        if f.immutable:
            extra.append("cannot change by documentation")
        out.append(f"- `{f.name}` ({f.type}{', ' + ', '.join(extra) if extra else ''}): {f.description}")
        for t, d in f.terms:
            also = sorted(w for w in words.get((f.name, t), ()))
            out.append(f"  - `{t}`: {d}" + (f" (also written: {', '.join(f'`{w}`' for w in also)})" if also else ""))
    if kb.vocabulary.is_a:
        out += ["", "## Kinds of terms", "", "A criterion naming a term is met by any kind of it:", ""]
        out += [f"- `{a}` is a `{b}`" for a, b in kb.vocabulary.is_a]
    out += _drugs_markdown(kb.vocabulary)
    return "\n".join(out) + "\n"


def _words(kb: KnowledgeBase) -> dict:
    """(field, term) -> the synonyms the kb gives it, as the kb writes them."""
    out: dict = {}
    for field, word, term in kb.engine.ask("synonym", None, None, None):
        out.setdefault((field, term), set()).add(word)
    return out


def _drugs_markdown(v) -> list[str]:
    """The drug table of kb/drugs.dl: what each name stands for in the treatment-history lists."""
    if not v.therapies:
        return []
    fields = ", ".join(f"`{f}`" for f in sorted(v.therapy_fields))
    out = ["", "## Drug and regimen names", "",
           f"The treatment-history lists ({fields}) also accept these drug and regimen names (in any case, and "
           "combinations of them joined by `/`, `+`, `and` or `with`); each stands for the therapy classes shown, and "
           "the name is kept as written (kb/drugs.dl). RxCUI is the RxNorm ingredient code where the kb lists one.",
           "", "| name | stands for | RxCUI | also written |", "|---|---|---|---|"]
    also: dict[str, list] = {}
    for word, name in v.therapy_names.items():
        if word != name.lower():
            also.setdefault(name, []).append(word)
    for name, t in v.therapies.items():
        what = ", ".join(f"`{c}`" for c in t.classes)
        if t.components:
            what += " (" + ", ".join(t.components) + ")"
        out.append(f"| `{name}` | {what} | {t.rxcui or ''} | {', '.join(sorted(also.get(name, [])))} |")
    return out


def json_schema(kb: KnowledgeBase) -> dict:
    root: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
                  "title": "laro-kb patient case", "type": "object", "additionalProperties": False,
                  "properties": {"id": {"type": ["string", "integer"], "description": "The case id"}}}
    for f in kb.vocabulary.fields.values():
        node = root
        for part in f.name.split(".")[:-1]:
            node = node["properties"].setdefault(part, {"type": ["object", "null"], "additionalProperties": False,
                                                        "properties": {}})
        node["properties"][f.leaf] = _field_schema(f, kb)
    return root


def _field_schema(f, kb: KnowledgeBase) -> dict:
    if f.type == "bool":
        s: dict = {"type": ["boolean", "null"]}
    elif f.type == "int":
        s = {"type": ["integer", "null"]}
        if f.bounds:
            s.update(minimum=f.bounds[0], maximum=f.bounds[1])
        if f.step:
            s["multipleOf"] = f.step
    elif f.type == "term":
        s = {"enum": [t for t, _ in f.terms] + sorted({w for (fn, _t), ws in _words(kb).items() if fn == f.name
                                                       for w in ws}) + ["unknown", None]}
    elif f.type == "terms":
        s = {"type": ["array", "null"], "items": {"enum": [t for t, _ in f.terms]}, "uniqueItems": True}
        if f.name in kb.vocabulary.therapy_fields:
            s["items"]["enum"] += sorted(set(kb.vocabulary.therapies) | {b for b, _ in kb.engine.ask("brand", None, None)})
    elif f.type == "code":
        s = {"type": ["string", "null"], "pattern": r"^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?$"}
    else:
        s = {"type": ["string", "null"], "maxLength": 2000}
    s["description"] = f.description
    return s


def generated(kb: KnowledgeBase) -> dict[str, str]:
    return {"pathways.md": pathways_markdown(kb), "vocabulary.md": vocabulary_markdown(kb),
            "case.schema.json": json.dumps(json_schema(kb), indent=2, ensure_ascii=False) + "\n"}


def main(argv: list[str]) -> int:
    docs = Path(__file__).resolve().parents[2] / "docs"
    stale = []
    for name, text in generated(load()).items():
        path = docs / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run: python -m laro_kb.author.docgen): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
