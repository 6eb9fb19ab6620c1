"""Renderers for explanations: a numbered text tree, Markdown for a letter, and JSON (docs/explanations.md).

Depth: 1 shows pathways, 2 their criteria, 3 the parts of composite criteria (the default), and 4 or more add
the derivation under each criterion: the kb rules applied (file:line), their bindings and the facts at the
leaves, to depth - 3 levels.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Optional

from ..explain.explanation import SCHEMA, Blocked, CriterionExplanation, Evidence, Explanation, PathwayExplanation
from ..explain.trace import TraceNode
from ..knowledge.vocabulary import show_value as show

DEFAULT_DEPTH = 3


def short_source(p: PathwayExplanation) -> str:
    s = p.pathway.source
    if s is None:
        return f"{p.id}; no source"
    ref = {"nccn": f"NCCN ref {s.reference}", "fda": f"FDA label, ref {s.reference}", "policy": "policy renewal criteria"}
    return f"{p.id}; {ref.get(s.kind, s.kind)}"


def evidence(c: CriterionExplanation, show=show) -> str:
    """What documents a criterion's status; ``show`` writes one case value (Markdown escapes it)."""
    facts = ", ".join(f"{e.field} = {evidence_value(e, show)}" for e in c.facts)
    comps = f" ({'; '.join(c.comparisons)})" if c.comparisons else ""
    if c.derived is not None:
        return derivation_text(c, f"{facts}{comps}")
    blocked = "".join("; " + blocked_text(b) for b in c.blocked)
    if c.status == "unknown":
        return ("not documented: " + ", ".join(c.missing) if c.missing else "unknown") + blocked
    if blocked:
        return (evidence(replace(c, blocked=()), show) or c.status.replace("_", " ")) + blocked
    if c.status == "not_met":
        base = f"documented {facts}{comps}" if facts else "not met"
        return f"{base}; requires {c.rule}" if not c.parts else base
    if c.status == "excluded":
        return f"excluded: {facts}{comps}" if facts else "excluded"
    return f"{facts}{comps}" if facts else ""


def derivation_text(c: CriterionExplanation, documented: str = "") -> str:
    """A criterion settled by derivation, in words: what it follows from (with the documented facts that meet
    that), why the policy's words imply it, and those words."""
    d = c.derived.derivation
    words = "; ".join(f'"{t}"' for t in d.texts)
    return (f"{d.settles} by derivation from {c.derived.source.label}" + (f" ({documented})" if documented else "")
            + (f": {d.reason}" if d.reason else "") + (f"; the policy's words: {words}" if words else ""))


def blocked_text(b: Blocked) -> str:
    """A derivation that does not apply, in words: what it would follow from, and what stops it."""
    would = "imply it" if b.derivation.kind == "implied" else "rule it out"
    why = (f"{b.by.label} holds, which stops that reading" if b.by is not None
           else f"its own fields are documented ({', '.join(b.documented)}), and they decide it")
    return f"{b.source.label} would {would}, but {why}"


def evidence_value(e: Evidence, show=show) -> str:
    """A documented value as the user wrote it, with the term it stands for: ``[pembrolizumab (checkpoint
    inhibitor)]``, ``MSS (pmmr mss)``; a term written as it is stays as it is."""
    names = dict(e.written)

    def one(v) -> str:
        written = names.get(v)
        return f"{', '.join(show(n) for n in written)} ({show(v).replace('_', ' ')})" if written else show(v)
    if isinstance(e.value, tuple):
        return "[" + ", ".join(one(v) for v in e.value) + "]"
    return one(e.value)


# -- text --------------------------------------------------------------------------------------------------
def explanation_text(e: Explanation, depth: int = DEFAULT_DEPTH) -> str:
    lines = [f"Case {e.case.id}: {e.outcome.upper()}"]
    for i, p in enumerate(e.pathways, 1):
        lines += pathway_text(p, str(i), depth)
    return "\n".join(lines)


def pathway_text(p: PathwayExplanation, number: str, depth: int = DEFAULT_DEPTH) -> list[str]:
    cite = f"[{short_source(p)}]"
    lines = [f"{number} {p.id} {p.verdict.upper()}: {p.pathway.citation}"]
    lines.append(f"{' ' * len(number)} policy: \"{p.pathway.text}\" {cite}")
    if p.change is not None:
        if p.change.sets:
            lines.append(f"{' ' * len(number)} would be approved under {p.id} if {p.change.describe()} {cite}")
        else:
            lines.append(f"{' ' * len(number)} {p.change.describe()} {cite}")
    if depth >= 2:
        for j, c in enumerate(p.criteria, 1):
            lines += _criterion_lines(c, f"{number}.{j}", 1, depth, cite)
    return lines


# how a criterion shown under another is introduced: a part of it, what a derivation settled it from, or what stops
# a derivation (a criterion of a pathway shows its dimension instead)
ROLES = {"part": "", "source": "derived from: ", "blocker": "not derived, since: "}


def _criterion_lines(c: CriterionExplanation, number: str, level: int, depth: int, cite: str) -> list[str]:
    indent = "  " * level
    status = c.status.replace("_", " ")
    text = f' "{c.text}"' if c.text else ""
    ev = evidence(c)
    dim = ROLES.get(c.dimension, f"{c.dimension}: ")
    out = [f"{indent}{number} [{status}] {dim}{c.label}{': ' + ev if ev else ''}{text} {cite}"]
    if depth >= 3:
        for j, part in enumerate(_below(c), 1):
            out += _criterion_lines(part, f"{number}.{j}", level + 1, depth, cite)
    if depth >= 4 and c.proof is not None and not _below(c):
        out += _proof_lines(c.proof, number + ".", level + 1, depth - 3, cite)
    return out


def _below(c: CriterionExplanation) -> tuple[CriterionExplanation, ...]:
    """What a criterion's line shows under it: its parts, the criterion a derivation settled it from, and the
    criteria that stop a derivation."""
    return (c.parts + ((c.derived.source,) if c.derived is not None else ())
            + tuple(b.by for b in c.blocked if b.by is not None))


def _proof_lines(node: TraceNode, prefix: str, level: int, remaining: int, cite: str) -> list[str]:
    out = []
    indent = "  " * level
    bindings = ", ".join(f"{k}={show(v)}" for k, v in node.bindings)
    how = {"rule": f"by rule {node.source}" + (f" with {bindings}" if bindings else ""), "case": "case fact",
           "fact": "kb fact", "not": "no proof exists", "compare": "comparison holds"}[node.kind]
    out.append(f"{indent}{prefix}d {node}: {how} {cite}")
    if remaining > 1:
        for j, child in enumerate(node.children, 1):
            out += _proof_lines(child, f"{prefix}d{j}.", level + 1, remaining - 1, cite)
    return out


# -- markdown ------------------------------------------------------------------------------------------------
def explanation_markdown(e: Explanation, depth: int = DEFAULT_DEPTH) -> str:
    title = {"approve": "Approved", "pend": "Pended: more documentation needed", "deny": "Denied"}[e.outcome]
    out = [f"# {e.policy.title} coverage determination", "",
           f"- **Case:** {markdown_escape(e.case.id)}", f"- **Decision:** {title}",
           f"- **Policy:** {e.policy}", ""]
    for p in e.pathways:
        out += [f"## {p.id}: {p.pathway.heading}, criterion {p.pathway.number}{p.pathway.option} ({p.verdict})", "",
                f"Source: {p.pathway.source if p.pathway.source else 'none recorded'}."
                + (f" {p.pathway.source.citation}" if p.pathway.source and p.pathway.source.citation else ""), "",
                f"> {p.pathway.text}", ""]
        if depth >= 2:
            out += ["| Criterion | Status | Documentation |", "|---|---|---|"]
            for c in p.criteria:
                out += _md_rows(c, depth, 0)
            out.append("")
        if p.change is not None:
            if p.change.sets:
                out.append("**What would change the outcome:** documentation showing "
                           + "; ".join(f"`{f}` = {_md_value(v)}" for f, v in p.change.sets) + ".")
            else:
                out.append(f"**What would change the outcome:** {p.change.describe(_md_value)}.")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md_rows(c: CriterionExplanation, depth: int, level: int) -> list[str]:
    status = {"met": "met", "not_met": "**not met**", "unknown": "**not documented**", "excluded": "**excluded**",
              "clear": "clear"}[c.status]
    name = ("&nbsp;&nbsp;" * level) + (f"{c.dimension}: " if level == 0 else ROLES.get(c.dimension, "")) + c.label
    if c.text and level == 0:
        name += f" (\"{c.text}\")"
    rows = [f"| {_md(name)} | {status} | {_md(evidence(c, _md_scalar))} |"]
    if depth >= 3:
        for part in _below(c):
            rows += _md_rows(part, depth, level + 1)
    return rows


def _md(text: str) -> str:
    """A table cell: a pipe would end the cell, and a line break the row. What markdown_escape escaped already
    (a backslash and the character after it) is kept as it is."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i:i + 2])
            i += 2
            continue
        out.append("\\|" if ch == "|" else " " if ch == "\n" else ch)
        i += 1
    return "".join(out)


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}  # no raw HTML, no autolink: as text in Markdown and HTML
_MD_ESCAPED = set("\\`*[]|~$")  # code spans, emphasis, links and images, table cells, strikethrough, math


def markdown_escape(text: str) -> str:
    """A case-supplied string as literal text in Markdown (CommonMark and GitHub's), and so in the HTML made from it.

    Characters that could open markup are backslash-escaped, and &, < and > become entities. An underscore inside a
    word (single_agent) is left alone, since CommonMark never reads it as emphasis. Line breaks become spaces."""
    out = []
    for i, ch in enumerate(text):
        if ch in "\r\n":
            out.append(" ")
        elif ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_ESCAPED or (ch == "_" and not (0 < i < len(text) - 1 and text[i - 1].isalnum()
                                                     and text[i + 1].isalnum())):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _md_scalar(value) -> str:
    return markdown_escape(show(value))


def _md_value(value) -> str:
    """A case value in Markdown: each term escaped, inside the renderer's own brackets for a list."""
    if isinstance(value, tuple):
        return "[" + ", ".join(markdown_escape(show(v)) for v in value) + "]"
    return markdown_escape(show(value))


# -- json ----------------------------------------------------------------------------------------------------
def explanation_dict(e: Explanation, depth: int = DEFAULT_DEPTH) -> dict:
    return {"schema": SCHEMA, "case": e.case.id, "decision": e.outcome,
            "pathways": [pathway_dict(p, depth) for p in e.pathways]}


def pathway_dict(p: PathwayExplanation, depth: int = DEFAULT_DEPTH) -> dict:
    s = p.pathway.source
    out = {"id": p.id, "verdict": p.verdict, "section": p.pathway.section_heading,
           "subsection": p.pathway.subsection_heading, "criterion": f"{p.pathway.number}{p.pathway.option}",
           "policy_text": p.pathway.text, "citation": p.pathway.citation,
           "source": {"kind": s.kind, "reference": s.reference, "citation": s.citation, "url": s.url} if s else None,
           "change": ({"sets": [{"field": f, "value": _jv(v)} for f, v in p.change.sets],
                       "verified": p.change.verified, "text": p.change.describe()} if p.change else None)}
    if depth >= 2:
        out["criteria"] = [_criterion_dict(c, depth) for c in p.criteria]
    if depth >= 4:
        out["trace"] = trace_dict(p.proof, depth - 3)
    return out


def _criterion_dict(c: CriterionExplanation, depth: int) -> dict:
    d = {"criterion": c.criterion, "dimension": c.dimension, "status": c.status, "label": c.label, "rule": c.rule,
         "policy_text": c.text, "facts": [_fact_dict(e) for e in c.facts],
         "comparisons": list(c.comparisons), "missing": list(c.missing)}
    if depth >= 3:
        d["parts"] = [_criterion_dict(p, depth) for p in c.parts]
    if c.derived is not None:
        dv = c.derived.derivation
        d["derived"] = {"kind": dv.kind, "from": dv.source, "reason": dv.reason, "policy_text": list(dv.texts),
                        "unless": list(dv.unless), "source": _criterion_dict(c.derived.source, depth)}
    if c.blocked:
        d["blocked"] = [{"kind": b.derivation.kind, "from": b.derivation.source, "text": blocked_text(b),
                         "by": _criterion_dict(b.by, depth) if b.by is not None else None,
                         "documented": list(b.documented)} for b in c.blocked]
    if depth >= 4 and c.proof is not None:
        d["trace"] = trace_dict(c.proof, depth - 3)
    return d


def _fact_dict(e: Evidence) -> dict:
    """A documented value; ``as_written`` maps each term to the names the user wrote for it, where any."""
    d = {"field": e.field, "value": _jv(e.value)}
    if e.written:
        d["as_written"] = {t: list(names) for t, names in e.written}
    return d


def trace_dict(node: Optional[TraceNode], remaining: int) -> Optional[dict]:
    if node is None:
        return None
    d = {"goal": str(node.goal) if node.kind != "compare" else str(node.comparison), "kind": node.kind,
         "rule": node.rule.id if node.rule else None, "bindings": {k: _jv(v) for k, v in node.bindings}}
    if remaining > 1:
        d["children"] = [trace_dict(c, remaining - 1) for c in node.children]
    return d


def _jv(v):
    return list(v) if isinstance(v, tuple) else v


def explanation_json(e: Explanation, depth: int = DEFAULT_DEPTH) -> str:
    return json.dumps(explanation_dict(e, depth), indent=2, ensure_ascii=False)


RENDERERS = {"text": explanation_text, "markdown": explanation_markdown, "json": explanation_json}
