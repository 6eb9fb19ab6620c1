"""The kb against the policy it encodes: the policy text shipped with the kb (``kb/policy/*.txt``) is the authority.

- every pathway's quoted text must be found in its section of the policy (whitespace, punctuation, case and list
  markers normalized), else the closest policy sentence is shown; so must the words each derivation cites;
- the policy's reference list: each ``reference/3`` must be in it with the same text; each section must cite the
  reference whose guideline names it (and the one the policy prints after it, where the policy prints one);
- criterion numbers: a pathway's id, number and option agree; no two pathways claim one criterion; the number
  exists in the policy's section (a number the policy leaves unprinted is noted);
- a numeric criterion's bound agrees with the number and direction of its own words (its label and the policy
  text it quotes): "at least 18" is ``>= 18``, "ECOG 0-1" is ``<= 1``, "second-line or subsequent" is ``>= 2``.

Nothing here decides a case; it reads the loaded kb's facts and the policy file.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Optional

from .findings import Finding

POLICY_DIR = "policy"
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_MARKER = re.compile(r"(?:(?<=\s)|^)(\d{1,2}\.|[a-z]\))\s")
_OPTION = re.compile(r"(?:^|\s)([a-z])\)\s")
STOP_LINES = ("References", "Coding (", "Revision and Review History")


def policy_text(directory) -> Optional[tuple[Path, str]]:
    """The policy shipped with a kb directory (its first ``policy/*.txt``), or None."""
    files = sorted((Path(directory) / POLICY_DIR).glob("*.txt"))
    return (files[0], files[0].read_text(encoding="utf-8")) if files else None


@functools.lru_cache(maxsize=8192)  # a policy's sections and sentences, normalized once per process
def normalize(text: str) -> str:
    """Lower case words only: list markers ("- 3.", "a)"), punctuation and whitespace removed."""
    text = text.translate(SUPERSCRIPTS)
    text = re.sub(r"(?m)^\s*-\s+", " ", text)
    text = _MARKER.sub(" ", text)
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def policy_findings(kb) -> list[Finding]:
    found = policy_text(kb.directory)
    where = {st.values[0]: st for st in kb.statements if not hasattr(st, "body") and st.atom.key == "pathway/4"}
    out = _numbers(kb, where) + _thresholds(kb)
    if found is None:
        return out + [Finding("info", "no-policy-text", "the kb ships no policy text (policy/*.txt), so pathway "
                              "texts, citations and criterion numbers are not compared with the policy",
                              "put the policy's text in <kb>/policy/ as a .txt file")]
    path, text = found
    lines = text.splitlines()
    blocks = _blocks(lines, {p.section: p.section_heading for p in kb.pathways.values()})
    out += _texts(kb, where, lines, blocks, path)
    out += _derivation_texts(kb, lines, path)
    out += _references(kb, lines, blocks, path)
    out += _numbers_in_policy(kb, where, lines, blocks, path)
    out += _codes(kb, lines, path)
    return out


def policy_codes(lines: list[str]) -> dict[str, str]:
    """The policy's code table: code -> description (tab-separated rows after the 'Code' header)."""
    out: dict[str, str] = {}
    start = next((i for i, line in enumerate(lines) if line.split("\t")[:2] == ["Code", "Description"]), None)
    if start is None:
        return out
    for line in lines[start + 1:]:
        cells = line.split("\t")
        if len(cells) == 2 and re.fullmatch(r"[A-Z][0-9A-Z.]+", cells[0].strip()):
            out[cells[0].strip()] = cells[1].strip()
        elif line.strip().startswith(STOP_LINES):
            break
    return out


def _codes(kb, lines, path) -> list[Finding]:
    table = policy_codes(lines)
    if not table:
        return []
    facts = {st.values[0]: st for st in kb.statements if not hasattr(st, "body") and st.atom.key == "code/3"}
    out = []
    for code, st in sorted(facts.items()):
        if code not in table:
            out.append(Finding("error", "code-table-mismatch", f"code {code} is not in the policy's code table "
                               f"({path.name})", "list only the policy's codes, word for word", st.file, st.line))
        elif normalize(str(st.values[2])) != normalize(table[code]):
            out.append(Finding("error", "code-table-mismatch", f"code {code} reads {st.values[2]!r}, but the "
                               f"policy's code table says {table[code]!r}", "copy the policy's description",
                               st.file, st.line))
    first = next(iter(facts.values()), None)
    for code in sorted(set(table) - set(facts)):
        out.append(Finding("error", "code-table-mismatch", f"the policy's code table lists {code} "
                           f"({table[code]}), which the kb does not", f"add + code('{code}', ..., "
                           f"'{table[code]}') to the code table", first.file if first else None, None))
    return out


# -- the policy's sections ------------------------------------------------------------------------------------------
def _blocks(lines: list[str], headings: dict[str, str]) -> dict[str, tuple[int, int]]:
    """section -> (first line, end line) of its block in the policy: from its heading to the next heading."""
    starts = {}
    for section, heading in headings.items():
        for i, line in enumerate(lines):
            if line.strip().lower() == heading.strip().lower():
                starts[section] = i
                break
    stops = sorted(set(starts.values()) | {i for i, line in enumerate(lines)
                                            if line.strip().startswith(STOP_LINES) and i > min(starts.values(),
                                                                                                 default=0)})
    out = {}
    for section, start in starts.items():
        end = next((s for s in stops if s > start), len(lines))
        out[section] = (start, end)
    return out


def _block_text(lines, blocks, section) -> str:
    start, end = blocks.get(section, (0, len(lines)))
    return "\n".join(lines[start:end])


def segments(text: str) -> list[str]:
    """A pathway's text cut at its option markers ("... one of the following: a) ..."): stem, option."""
    return [s for s in _OPTION.split(text)[::2] if normalize(s)]


def _texts(kb, where, lines, blocks, path) -> list[Finding]:
    whole = normalize("\n".join(lines))
    out = []
    for pid, p in sorted(kb.pathways.items()):
        block = normalize(_block_text(lines, blocks, p.section))
        for seg in segments(p.text):
            n = normalize(seg)
            if n in block:
                continue
            st = where.get(pid)
            text_st = next((s for s in kb.statements if not hasattr(s, "body") and s.atom.key == "policy_text/2"
                            and s.values[0] == pid), st)
            if n in whole:
                out.append(Finding("warning", "policy-text-elsewhere", f"pathway {pid}'s text {_short(seg)!r} is "
                                   f"in the policy, but not in its section ({p.section_heading})",
                                   "check that the pathway belongs to this section", text_st.file, text_st.line, pid))
                continue
            near = difflib.get_close_matches(seg, _sentences(lines), n=1, cutoff=0.3)
            out.append(Finding("error", "policy-text-mismatch", f"pathway {pid}'s text {_short(seg)!r} is not found "
                               f"in the policy ({path.name}, section {p.section_heading})",
                               f"quote the policy word for word: {_short(near[0].strip(), 160)!r}" if near else
                               "quote the policy word for word", text_st.file, text_st.line, pid))
    return out


def _derivation_texts(kb, lines, path) -> list[Finding]:
    """The words a derivation cites (``derivation_text/3``) are the policy's, word for word."""
    whole = normalize("\n".join(lines))
    out = []
    for st in (s for s in kb.statements if not hasattr(s, "body") and s.atom.key == "derivation_text/3"):
        k, source, text = st.values
        if normalize(str(text)) in whole:
            continue
        near = difflib.get_close_matches(str(text), _sentences(lines), n=1, cutoff=0.3)
        out.append(Finding("error", "derivation-text-mismatch", f"the derivation of {k} from {source} cites "
                           f"{_short(str(text))!r}, which is not in the policy ({path.name})",
                           f"quote the policy word for word: {_short(near[0].strip(), 160)!r}" if near else
                           "quote the policy word for word", st.file, st.line))
    return out


def _sentences(lines: list[str]) -> list[str]:
    """The policy's sentences (of more than a few words), to show the closest to a text that is not the policy's."""
    return [s for s in re.split(r"(?<=[.;:])\s+|\n+", "\n".join(lines)) if len(normalize(s)) > 20]


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 3] + "..."


# -- references -----------------------------------------------------------------------------------------------------
def policy_references(lines: list[str]) -> dict[int, str]:
    """The policy's reference list: number -> text (the lines after 'References' that start with a superscript)."""
    out: dict[int, str] = {}
    start = next((i for i, line in reversed(list(enumerate(lines))) if line.strip() == "References"), None)
    if start is None:
        return out
    for line in lines[start + 1:]:
        m = re.match(r"^\s*-?\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s*(.+)$", line)
        if m:
            out[int(m.group(1).translate(SUPERSCRIPTS))] = m.group(2).strip()
    return out


def _title(text: str) -> set[str]:
    m = re.search(r"NCCN Guidelines:\s*(.+?)\.\s+https?:", text)
    return _words(m.group(1)) if m else set()


def _words(text: str) -> set[str]:
    stop = {"and", "or", "of", "the", "cancer", "cancers", "tumors", "other", "nccn"}
    return {w.rstrip("s") for w in normalize(text).split() if w not in stop}


def _references(kb, lines, blocks, path) -> list[Finding]:
    listed = policy_references(lines)
    facts = [st for st in kb.statements if not hasattr(st, "body")]
    out = []
    for st in (s for s in facts if s.atom.key == "reference/3"):
        n, text = st.values[0], str(st.values[1])
        if n not in listed:
            out.append(Finding("error", "reference-not-in-policy", f"reference {n} is not in the policy's reference "
                               f"list ({path.name})", "cite a reference the policy lists", st.file, st.line))
        elif normalize(text) != normalize(listed[n]):
            out.append(Finding("error", "reference-text-mismatch", f"reference {n} reads {_short(text)!r}, but the "
                               f"policy's reference {n} is {_short(listed[n])!r}",
                               f"copy the policy's reference {n} word for word", st.file, st.line))
    titles = {n: _title(t) for n, t in listed.items() if _title(t)}
    for st in (s for s in facts if s.atom.key == "section/4"):
        section, heading, kind, n = st.values
        if kind not in ("nccn", "fda"):
            continue
        printed = _printed_citations(_block_text(lines, blocks, section)) if section in blocks else set()
        if n not in listed:
            out.append(Finding("error", "reference-not-in-policy", f"section {section} cites reference {n}, which "
                               f"is not in the policy's reference list", "cite the reference the policy prints after "
                               "the section", st.file, st.line))
            continue
        valid = printed & set(listed)
        if valid and n not in valid:
            out.append(Finding("error", "wrong-citation", f"section {section} cites reference {n}, but the policy "
                               f"prints {', '.join(map(str, sorted(valid)))} after it",
                               f"cite {sorted(valid)[0]}", st.file, st.line))
            continue
        if kind == "nccn":
            best = _best_title(heading, titles)
            if best is not None and n != best and _score(heading, n, titles) < _score(heading, best, titles):
                out.append(Finding("error", "wrong-citation", f"section {section} ({heading}) cites reference {n} "
                                   f"({_short(listed[n], 70)!r}), whose guideline is not this section's; reference "
                                   f"{best} is", f"cite {best}", st.file, st.line))
                continue
        misprints = printed - set(listed)
        if misprints and not valid:
            out.append(Finding("warning", "policy-citation-misprint", f"the policy prints reference "
                               f"{', '.join(map(str, sorted(misprints)))} after section {heading}, which is not in "
                               f"its reference list; the kb cites {n}",
                               "a drafting slip of the policy: keep the reading in docs/policy-notes.md",
                               st.file, st.line))
    return out


def _printed_citations(block: str) -> set[int]:
    """The superscript reference numbers the policy prints in a section (after the heading)."""
    body = block.split("\n", 1)[1] if "\n" in block else ""
    return {int(m.translate(SUPERSCRIPTS)) for m in re.findall(r"[⁰¹²³⁴⁵⁶⁷⁸⁹]+", body)}


def _best_title(heading: str, titles: dict[int, set]) -> Optional[int]:
    """The reference whose guideline title shares the rarest words with the heading."""
    scored = sorted(((_score(heading, n, titles), -n) for n in titles), reverse=True)
    return -scored[0][1] if scored and scored[0][0] > 0 else None


def _score(heading: str, n: int, titles: dict[int, set]) -> float:
    words = _words(heading)
    return sum(1 / sum(w in t for t in titles.values()) for w in words & titles.get(n, set()))


# -- criterion numbers ----------------------------------------------------------------------------------------------
def _numbers(kb, where) -> list[Finding]:
    out = []
    claimed: dict[tuple, str] = {}
    for pid, p in sorted(kb.pathways.items()):
        st = where.get(pid)
        loc = {"file": st.file, "line": st.line} if st else {}
        suffix = pid.rsplit(".", 1)[-1]
        if re.fullmatch(r"\d+[a-z]?", suffix) and suffix != f"{p.number}{p.option}":
            out.append(Finding("error", "pathway-number-mismatch", f"pathway {pid} is declared as criterion "
                               f"{p.number}{p.option} of {p.section}", f"make the id and the number agree "
                               f"(pathway('{p.section}.{p.number}{p.option}', ...) or number {suffix})",
                               pathway=pid, **loc))
        key = (p.section, p.number, p.option)
        if key in claimed:
            out.append(Finding("error", "duplicate-criterion-number", f"pathways {claimed[key]} and {pid} both "
                               f"claim criterion {p.number}{p.option} of {p.section}",
                               "give each pathway its own criterion number and option", pathway=pid, **loc))
        claimed.setdefault(key, pid)
        opts = [m.group(1) for m in _OPTION.finditer(p.text)]
        if opts and p.option and opts[-1] != p.option:
            out.append(Finding("error", "pathway-number-mismatch", f"pathway {pid} is option {p.option}, but its "
                               f"text quotes option {opts[-1]})", f"quote option {p.option}) or fix the option",
                               pathway=pid, **loc))
    return out


def _numbers_in_policy(kb, where, lines, blocks, path) -> list[Finding]:
    out = []
    for section in sorted({p.section for p in kb.pathways.values()}):
        if section not in blocks:
            continue
        block = _block_text(lines, blocks, section)
        numbers = {int(n) for n in re.findall(r"(?m)^\s*-?\s*(\d{1,2})\.\s", block)}
        if not numbers:
            continue
        for pid, p in sorted((i, p) for i, p in kb.pathways.items() if p.section == section):
            st = where.get(pid)
            loc = {"file": st.file, "line": st.line} if st else {}
            if p.number in numbers:
                continue
            if p.number > max(numbers) + 1 or p.number < 1:
                out.append(Finding("error", "criterion-number-missing", f"pathway {pid} is criterion {p.number} of "
                                   f"{p.section_heading}, which the policy does not have (its criteria are numbered "
                                   f"{', '.join(map(str, sorted(numbers)))})",
                                   "use the policy's criterion number", pathway=pid, **loc))
            elif p.option in ("", "a"):
                out.append(Finding("info", "unnumbered-criterion", f"the policy prints criterion {p.number} of "
                                   f"{p.section_heading} without its number ({path.name}); the kb gives it the "
                                   "implied number", "a drafting slip of the policy: keep the reading in "
                                   "docs/policy-notes.md", pathway=pid, **loc))
    return out


# -- thresholds against their words ---------------------------------------------------------------------------------
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_PHRASES = [  # (pattern, side): side 'lo' gives a lower bound, 'hi' an upper one; 'lo+1' / 'hi-1' strict
    (r"(?:at least|≥|>=|no less than)\s*(\d+)", "lo"),
    (r"(?:greater than|more than|older than|>)\s*(\d+)", "lo+1"),
    (r"(?:at most|≤|<=|no more than)\s*(\d+)", "hi"),
    (r"(?:less than|under|younger than|<)\s*(\d+)", "hi-1"),
    (r"(\d+)\s*(?:or lower|or less|or below)", "hi"),
    (r"(\d+)\s*(?:or higher|or more|or above)", "lo"),
    (r"\b\d+\s*[-–]\s*(\d+)\b", "hi"),
    (r"no later than (first|second|third|fourth|fifth)-line", "hi"),
    (r"(second|third|fourth|fifth)-line(?: therapy)?(?: and| or)? (?:beyond|subsequent|later)", "lo"),
    (r"^(first)-line", "hi"),
]


def text_bounds(text: str) -> list[tuple[str, int]]:
    """('lo'|'hi', n) bounds that a criterion's words state (integers: "greater than 18" is lo 19)."""
    out = []
    low = text.lower()
    for pattern, side in _PHRASES:
        for m in re.finditer(pattern, low):
            v = m.group(1)
            n = ORDINALS[v] if v in ORDINALS else int(v)
            if side == "lo+1":
                out.append(("lo", n + 1))
            elif side == "hi-1":
                out.append(("hi", n - 1))
            else:
                out.append((side, n))
    return out


def _thresholds(kb) -> list[Finding]:
    side = {"at_least": ("lo", 0), "more_than": ("lo", 1), "at_most": ("hi", 0), "less_than": ("hi", -1)}
    defined = {}
    for st in kb.statements:
        if not hasattr(st, "body") and st.atom.pred in side and len(st.values) == 3:
            defined.setdefault(st.values[0], st)
    out = []
    for k, c in sorted(kb.criteria.items()):
        if c.form not in side:
            continue
        want_side, shift = side[c.form]
        bound = (want_side, c.values[0] + shift)
        for text in (c.text, c.label):
            if not text:
                continue
            stated = text_bounds(text)
            if stated and bound not in stated:
                st = defined.get(k)
                said = ", ".join(f"{'>=' if s == 'lo' else '<='} {n}" for s, n in stated)
                out.append(Finding("error", "threshold-text-mismatch", f"criterion {k} is {c.form} {c.values[0]} "
                                   f"({'>=' if bound[0] == 'lo' else '<='} {bound[1]}), but its words "
                                   f"{text!r} say {said}", "make the bound and its direction agree with the "
                                   "policy's words", st.file if st else None, st.line if st else None))
                break
    return out


__all__ = ["policy_findings", "policy_text", "normalize", "segments", "policy_references", "text_bounds"]
