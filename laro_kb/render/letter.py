"""The determination letter: a notice that a member and a prescriber can read, in Markdown or HTML.

:func:`letter_context` turns an :class:`~laro_kb.explain.explanation.Explanation` into plain words. Every word about
the criteria comes from the kb: a reason is the criterion's label (``label/2``) with the policy's own words for it
(``criterion_text/2``) or its pathway's (``policy_text/2``), and a criterion that the policy's words settle from
another says so, with the derivation's reason and words (``derivation_reason/3``, ``derivation_text/3``); a
documented fact is written with the vocabulary's descriptions of its field and term (``field/3``, ``term/3``). No field name, criterion or pathway id reaches the
letter. The templates in ``templates/`` (Jinja2) lay the letter out; :func:`letter_markdown` renders them with every
printed value escaped (a case-supplied string reads back as itself, with no HTML entity), and :func:`letter_html`
makes HTML of that Markdown with markdown-it (raw HTML off), inside ``letter.html.j2``.

The plan fills the placeholders (``PLACEHOLDERS``: plan name, contact, dates); ``plan`` overrides any of them.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

from markupsafe import Markup

from ..explain.explanation import CriterionExplanation, Derived, Evidence, Explanation, PathwayExplanation
from ..knowledge.pathways import Policy
from ..knowledge.vocabulary import Vocabulary

PLACEHOLDERS = {
    "plan_name": "[Plan name]",
    "plan_contact": "[Plan telephone number, TTY number and mailing address]",
    "notice_date": "[Date of this notice]",
    "member_name": "[Member name]",
    "prescriber_name": "[Prescriber name]",
    "appeal_deadline": "[Appeal deadline: the number of days the member's plan allows, counted from the date of "
                       "this notice]",
    "appeal_contact": "[Where to send an appeal: address, fax or portal]",
    "peer_to_peer_contact": "[Telephone number to schedule a peer-to-peer review]",
    "peer_to_peer_deadline": "[Last day to request a peer-to-peer review]",
    "reviewer": "[Name and credentials of the reviewer]",
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
# ASCII punctuation that can open Markdown or HTML: backslash-escaped (CommonMark escapes any ASCII punctuation), so
# that the text shows as itself and needs no entity
_MARKUP = set("\\`*_[]<>&|~$!#{}")


def letter_escape(text: str) -> str:
    """Text as literal Markdown in a letter: markup characters backslash-escaped, line breaks as spaces."""
    return "".join(" " if ch in "\r\n" else "\\" + ch if ch in _MARKUP else ch for ch in str(text))


@dataclass(frozen=True)
class Reason:
    text: str
    policy: tuple[str, ...]  # the policy's own words for the criterion (and for a derivation), where the kb has them


@dataclass(frozen=True)
class Basis:
    """One way the policy covers the drug, and what the request shows against it."""
    heading: str
    criterion: str
    source: str
    policy_text: str
    reasons: tuple[Reason, ...]


class Words:
    """Facts in the vocabulary's own words."""

    def __init__(self, vocabulary: Vocabulary):
        self.fields = vocabulary.fields

    def field(self, name: str) -> str:
        """The field's description, up to its first semicolon (what follows is a note for case authors)."""
        f = self.fields.get(name)
        text = f.description.split("; ")[0] if f else name
        return text[:1].lower() + text[1:] if text[1:2].islower() else text

    def value(self, name: str, value) -> str:
        f = self.fields.get(name)
        terms = dict(f.terms) if f else {}
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, tuple):
            return "; ".join(terms.get(v, str(v)) for v in value) or "none"
        return terms.get(value, str(value))

    def fact(self, name: str, value) -> str:
        return f"{self.field(name)}: {self.value(name, value)}"

    def facts(self, evidence) -> str:
        return "; ".join(self.fact(e.field, e.value) for e in evidence)


def _documented(c: CriterionExplanation) -> tuple[Evidence, ...]:
    """The documented facts that settle a criterion: its own, or its settled parts'."""
    if c.facts:
        return c.facts
    out: list[Evidence] = []
    for part in c.parts:
        if part.status != "unknown":
            out += [e for e in _documented(part) if e not in out]
    return tuple(out)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _derived(c: CriterionExplanation) -> Optional[Derived]:
    """The derivation that settled a criterion, or one of its parts (the first found)."""
    if c.derived is not None:
        return c.derived
    return next((d for d in map(_derived, c.parts) if d is not None), None)


def _policy_words(c: CriterionExplanation, derived: Optional[Derived]) -> tuple[str, ...]:
    """The policy's words for a reason: the criterion's own, and those of a derivation (an own text that a
    derivation's words contain is given once)."""
    texts = derived.derivation.texts if derived else ()
    own = (c.text,) if c.text and not any(c.text in t for t in texts) else ()
    return tuple(dict.fromkeys(own + texts))


def reason(c: CriterionExplanation, words: Words) -> Reason:
    derived = _derived(c) if c.status in ("met", "clear") else None
    if derived is not None:
        facts = words.facts(_documented(derived.source))
        because = f", because {derived.derivation.reason}" if derived.derivation.reason else ""
        follows = "it follows from what is documented" + (f" ({facts})" if facts else "") + because + "."
        text = (f"{_sentence(c.label)}: not documented as such, but {follows}" if c.status == "met" else
                f"This does not apply: {c.label}. It is not documented as such, but {follows}")
        return Reason(text, _policy_words(c, derived))
    facts = words.facts(_documented(c))
    if c.status == "met":
        text = _sentence(c.label) + (f": documented ({facts})." if facts else ".")
    elif c.status == "clear":
        text = f"It is documented that this does not apply: {c.label}" + (f" ({facts})." if facts else ".")
    elif c.status == "not_met":
        text = f"The policy requires {c.label}." + (f" The request documents {facts}." if facts else
                                                     " The request does not meet this.")
    elif c.status == "excluded":
        text = f"The policy does not cover {c.label}." + (f" The request documents {facts}." if facts else "")
    else:
        needed = "; ".join(words.field(f) for f in c.missing) or "the facts that settle it"
        text = f"The policy requires {c.label}, and the request does not document {needed}." + _not_inferred(c, words)
    return Reason(text, _policy_words(c, None))


def _not_inferred(c: CriterionExplanation, words: Words) -> str:
    """Why the policy's words do not settle an unknown criterion from what is documented: for each derivation whose
    source holds, the documented criterion that stops it (``unless/2``)."""
    out = ""
    for b in c.blocked:
        if b.by is None:
            continue
        source, by = words.facts(_documented(b.source)), words.facts(_documented(b.by))
        out += (f" It is not inferred from {b.source.label}" + (f" ({source})" if source else "")
                + f", because {b.by.label} is documented as well" + (f" ({by})." if by else "."))
    return out


def _shown(p: PathwayExplanation, outcome: str) -> tuple[CriterionExplanation, ...]:
    if outcome == "approve":
        return p.criteria
    if outcome == "pend":
        return tuple(c for c in p.criteria if c.status == "unknown")
    return tuple(c for c in p.criteria if c.documented_not_met)


def basis(p: PathwayExplanation, outcome: str, words: Words) -> Basis:
    w = p.pathway
    return Basis(w.heading, f"{w.number}{w.option}", str(w.source) if w.source else "no source recorded", w.text,
                 tuple(reason(c, words) for c in _shown(p, outcome)))


def changes(e: Explanation, words: Words) -> tuple[list[str], list[str]]:
    """What documentation would change the decision, and the documented facts that no documentation can change."""
    would, fixed = [], []
    for p in e.pathways:
        if p.change is None or p.verdict == "approved":
            continue
        where = f"{p.pathway.heading}, criterion {p.pathway.number}{p.pathway.option}"
        if p.change.sets:
            line = f"Documentation that shows {words.facts(Evidence(f, v) for f, v in p.change.sets)} would meet " \
                   f"the policy's criteria under {where}."
            if line not in would:
                would.append(line)
        for f, v in p.change.fixed:
            if _sentence(words.fact(f, v)) not in fixed:
                fixed.append(_sentence(words.fact(f, v)))
    return would, fixed


def long_date(iso: str) -> str:
    from datetime import date
    d = date.fromisoformat(iso)
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def letter_context(e: Explanation, vocabulary: Vocabulary, policy: Policy, months: Optional[int] = None,
                   plan: Optional[Mapping[str, str]] = None) -> dict:
    """Everything the letter says, in plain words, for the templates. ``months``: the authorization period of an
    approval (the decision's, which the kb derives)."""
    words = Words(vocabulary)
    wanted = {"approve": "approved", "pend": "pending", "deny": "denied"}[e.outcome]
    would, fixed = changes(e, words)
    unknown = {f: None for p in e.pathways if p.verdict == "pending" for c in p.criteria for f in c.missing}
    return {
        "outcome": e.outcome,
        "drug": policy.title,
        "policy": policy,
        "effective": long_date(policy.effective),
        "reference": e.case.id,
        "months": months,
        "bases": [basis(p, e.outcome, words) for p in e.pathways if p.verdict == wanted],
        "needed": [_sentence(words.field(f)) for f in unknown],
        "would": would,
        "fixed": fixed,
        "plan": {**PLACEHOLDERS, **(plan or {})},
    }


def _escape_all(value) -> str:
    """Jinja2's finalize: every printed value is escaped, unless the template's own Markdown (Markup)."""
    return value if isinstance(value, Markup) else letter_escape(value)


@functools.cache
def _environment(html_out: bool):
    """The templates' Jinja2 environment, for Markdown (every value escaped by ``_escape_all``) or for HTML
    (autoescaped); built when a letter is first written (Jinja2 and markdown-it cost a tenth of a second to
    import, which a decision that writes no letter does not pay)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    escaping = {"autoescape": True} if html_out else {"autoescape": False, "finalize": _escape_all}
    return Environment(loader=PackageLoader("laro_kb.render", "templates"), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, **escaping)


def letter_markdown(e: Explanation, vocabulary: Vocabulary, policy: Policy, months: Optional[int] = None,
                    plan: Optional[Mapping[str, str]] = None) -> str:
    return _environment(False).get_template("letter.md.j2").render(letter_context(e, vocabulary, policy, months,
                                                                                  plan))


def letter_html(e: Explanation, vocabulary: Vocabulary, policy: Policy, months: Optional[int] = None,
                plan: Optional[Mapping[str, str]] = None) -> str:
    from markdown_it import MarkdownIt
    md = MarkdownIt("commonmark", {"html": False})
    md.add_render_rule("text", _text)
    body = md.render(letter_markdown(e, vocabulary, policy, months, plan))
    return _environment(True).get_template("letter.html.j2").render(
        title=f"Coverage determination: {policy.title}", body=Markup(body))


def _text(renderer, tokens, idx, options, env) -> str:
    """Text in HTML: only &, < and > need an entity; quotes and apostrophes stay as they are."""
    return html.escape(tokens[idx].content, quote=False)


LETTERS = {"letter": letter_markdown, "letter-html": letter_html}
