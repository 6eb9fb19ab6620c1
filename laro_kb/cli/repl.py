"""``laro-kb repl``: a reviewer's shell for exploring one case without editing files.

Every change goes through the same validation as a case file (:func:`laro_kb.case.parse.parse_case`), so a value that
would be refused in a file is refused here, with the same message. History is kept in ~/.laro_kb_history (or
$LARO_KB_HISTORY) when readline is available, and <Tab> completes commands, field names, terms and pathway ids.

An error in a command (a refused value, a file that cannot be read or written) is one line, and the prompt returns.
Ctrl-C cancels the line being typed, or the command running. Ctrl-D, quit and exit leave, and ask first when the case
has changes that were not saved; load asks the same before it replaces them.
"""

from __future__ import annotations

import cmd
import json
import os
import shlex
from pathlib import Path
from typing import Optional

from ..case.model import Case, set_field
from ..case.parse import resolve_field, resolve_pairs
from ..errors import LaroError
from ..knowledge.vocabulary import show_value
from ..render.decision import decision_text
from ..render.explanation import explanation_text

INTRO = ("laro-kb reviewer shell. Type 'help' for commands, 'help COMMAND' for one; <Tab> completes.\n"
         "Values: true, false, null (unset), numbers, terms, and lists as a,b,c or JSON.")


class Shell(cmd.Cmd):
    prompt = "laro-kb> "

    def __init__(self, kb, case: Optional[Case] = None, stdin=None, stdout=None):
        super().__init__(stdin=stdin, stdout=stdout)
        if stdin is not None:
            self.use_rawinput = False
        self.kb = kb
        self.case = case or Case("repl", ())
        self.saved = self.case  # what the case was when last loaded or saved
        self.fields = sorted(kb.vocabulary.fields)

    # -- plumbing ------------------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def cmdloop(self, intro=None) -> None:
        """The command loop, in which Ctrl-C cancels the line (or the command) and the prompt returns."""
        while True:
            try:
                super().cmdloop(intro)
                return
            except KeyboardInterrupt:
                self.say("\n(cancelled; quit or Ctrl-D leaves)")
                intro = ""

    def onecmd(self, line: str) -> bool:
        try:
            return super().onecmd(line)
        except (LaroError, ValueError) as exc:
            self.say(f"error: {exc}")
        except OSError as exc:
            self.say(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return False

    @property
    def unsaved(self) -> bool:
        return (self.case.id, self.case.values) != (self.saved.id, self.saved.values)

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question (no is the default); the end of input answers yes, Ctrl-C no."""
        self.stdout.write(f"{question} [y/N] ")
        self.stdout.flush()
        try:
            answer = input() if self.use_rawinput else self.stdin.readline()
            end = not self.use_rawinput and answer == ""
        except EOFError:
            answer, end = "", True
        except KeyboardInterrupt:
            self.say()
            return False
        if end or not self.use_rawinput:
            self.say()  # the answer was not echoed
        return end or answer.strip().lower() in ("y", "yes")

    def _keep_unsaved(self, doing: str) -> bool:
        """True when the case has unsaved changes and the reviewer does not want to lose them."""
        return self.unsaved and not self.confirm(f"Case {self.case.id} has changes that are not saved; {doing} "
                                                 "anyway?")

    def default(self, line: str) -> None:
        from ..case.suggest import nearest
        word = line.split()[0]
        hint = nearest(word, [n[3:] for n in self.get_names() if n.startswith("do_")])
        self.say(f"error: unknown command {word!r}" + (f" (did you mean '{hint}'?)" if hint else "") +
                 "; type 'help'")

    def emptyline(self) -> bool:
        return False

    def _set_values(self, pairs: list[tuple[str, str]]) -> Case:
        """The case with fields changed, validated exactly as a case file."""
        data = self.case.as_dict()
        for full, raw in resolve_pairs(pairs, self.kb.vocabulary):
            set_field(data, full, _parse_value(raw, self.kb.vocabulary.fields[full].type))
        return self.kb.parse_case(data, record=self.case.id)

    # -- commands --------------------------------------------------------------------------------------------------
    def do_load(self, arg: str) -> None:
        """load FILE: load a case file (JSON or YAML)."""
        if not arg.strip():
            raise ValueError("load needs a file name, for example: load case.json")
        case = self.kb.read_case(arg.strip())
        if self._keep_unsaved("load another"):
            return
        self.case = self.saved = case
        self.say(f"loaded case {self.case.id} ({len(self.case.values)} facts)")

    def do_show(self, arg: str) -> None:
        """show: the case's documented facts."""
        self.say(f"case {self.case.id}")
        for name, value in self.case.values:
            self.say(f"  {name} = {show_value(value)}")
        if not self.case.values:
            self.say("  (no facts documented)")

    def do_set(self, arg: str) -> None:
        """set FIELD VALUE [FIELD VALUE ...]: document facts (set ecog 1; set progressed_on chemotherapy,ebrt)."""
        self.case = self._set_values(_pairs(arg))
        self.say("ok")

    def do_unset(self, arg: str) -> None:
        """unset FIELD [FIELD ...]: make facts undocumented (unknown, not false)."""
        names = shlex.split(arg)
        if not names:
            raise ValueError("unset needs a field name")
        self.case = self._set_values([(n, "null") for n in names])
        self.say("ok")

    def do_decide(self, arg: str) -> None:
        """decide: approve, pend or deny the case, with the pathways behind it."""
        self.say(decision_text(self.kb.decide(self.case)))

    def do_why(self, arg: str) -> None:
        """why [PATHWAY ...] [--depth N]: explain every candidate pathway, or the ones named."""
        ids, depth = _depth(arg)
        self.say(explanation_text(self.kb.explain(self.case, ids or None), depth))

    def do_whynot(self, arg: str) -> None:
        """whynot PATHWAY [--depth N]: why one pathway is or is not met, and the smallest change that approves it."""
        ids, depth = _depth(arg)
        if len(ids) != 1:
            raise ValueError("whynot takes one pathway id, for example: whynot nsclc.3a")
        self.say(explanation_text(self.kb.explain(self.case, ids), depth))

    def do_whatif(self, arg: str) -> None:
        """whatif FIELD VALUE [...]: decide with facts changed, without keeping the change."""
        before = self.kb.decide(self.case)
        after = self.kb.decide(self._set_values(_pairs(arg)))
        self.say(f"now: {before.outcome.upper()} ({', '.join(p.id for p in before.approved) or 'no pathway met'})")
        self.say(f"if:  {after.outcome.upper()} ({', '.join(p.id for p in after.approved) or 'no pathway met'})")
        if after.outcome == "pend":
            for pid, needs in after.needs.items():
                self.say(f"  {pid} needs {', '.join(needs)}")

    def do_pathways(self, arg: str) -> None:
        """pathways [SECTION]: list pathway ids with their headings."""
        for p in self.kb.pathways.values():
            if not arg.strip() or p.section == arg.strip():
                self.say(f"{p.id:28s} {p.heading}")

    def do_fields(self, arg: str) -> None:
        """fields [PREFIX]: list the case fields (and terms of one field: fields biomarker.ntrk_fusion)."""
        prefix = arg.strip()
        if prefix in self.kb.vocabulary.fields:
            f = self.kb.vocabulary.fields[prefix]
            self.say(f"{f.name} ({f.type}): {f.description}")
            for t, d in f.terms:
                self.say(f"  {t}: {d}")
            return
        for name in self.fields:
            if name.startswith(prefix):
                f = self.kb.vocabulary.fields[name]
                self.say(f"{name:48s} {f.type}")

    def do_save(self, arg: str) -> None:
        """save FILE: write the case as JSON."""
        if not arg.strip():
            raise ValueError("save needs a file name, for example: save case.json")
        try:
            Path(arg.strip()).write_text(json.dumps(self.case.as_dict(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise LaroError(f"cannot be written ({exc.strerror or exc}); the case is kept here", file=arg.strip()) \
                from None
        self.saved = self.case
        self.say(f"saved {arg.strip()}")

    def do_quit(self, arg: str) -> bool:
        """quit: leave the shell (also exit, or Ctrl-D); asks first when the case has unsaved changes."""
        return not self._keep_unsaved("quit")

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        self.say()
        return self.do_quit(arg)

    # -- completion ----------------------------------------------------------------------------------------------
    def _complete_field_value(self, text: str, line: str) -> list[str]:
        words = line.split()
        position = len(words) - (0 if line.endswith(" ") else 1)
        if position % 2 == 1:  # a field name
            return [f for f in self.fields if f.startswith(text)] + \
                   sorted({f.rsplit(".", 1)[-1] for f in self.fields if f.rsplit(".", 1)[-1].startswith(text)} -
                          set(self.fields))
        try:
            f = self.kb.vocabulary.fields[resolve_field(words[position - 1], self.kb.vocabulary)]
        except (LaroError, IndexError):
            return []
        values = f.term_names() if f.terms else (["true", "false"] if f.type == "bool" else [])
        return [v for v in values + ["null"] if v.startswith(text.rsplit(",", 1)[-1])]

    def complete_set(self, text, line, begidx, endidx):
        return self._complete_field_value(text, line)

    complete_whatif = complete_set

    def complete_unset(self, text, line, begidx, endidx):
        return [f for f, _ in self.case.values if f.startswith(text)]

    def complete_why(self, text, line, begidx, endidx):
        return [p for p in self.kb.pathways if p.startswith(text)]

    complete_whynot = complete_why

    def complete_pathways(self, text, line, begidx, endidx):
        return sorted({p.section for p in self.kb.pathways.values() if p.section.startswith(text)})

    def complete_fields(self, text, line, begidx, endidx):
        return [f for f in self.fields if f.startswith(text)]

    def complete_load(self, text, line, begidx, endidx):
        return _paths(text)

    complete_save = complete_load


def run(kb, case: Optional[Case] = None) -> None:
    """Run the shell on the terminal, with readline history when available."""
    shell = Shell(kb, case)
    history = Path(os.environ.get("LARO_KB_HISTORY", Path.home() / ".laro_kb_history"))
    try:
        import readline
        readline.set_completer_delims(" \t\n")
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    except ImportError:  # pragma: no cover - readline is on every supported platform
        readline = None
    try:
        shell.cmdloop(INTRO + (f"\nCase {case.id} loaded." if case else ""))
    finally:
        if readline is not None:
            try:
                readline.write_history_file(history)
            except OSError:
                pass


def _pairs(arg: str) -> list[tuple[str, str]]:
    words = shlex.split(arg)
    if not words or len(words) % 2:
        raise ValueError("give FIELD VALUE pairs, for example: set ecog 1")
    return list(zip(words[::2], words[1::2]))


def _depth(arg: str) -> tuple[list[str], int]:
    words = shlex.split(arg)
    depth = 3
    if "--depth" in words:
        i = words.index("--depth")
        try:
            depth = int(words[i + 1])
        except (IndexError, ValueError):
            raise ValueError("--depth takes a number") from None
        del words[i:i + 2]
    return words, depth


def _parse_value(raw: str, typ: str):
    """A REPL word as a case-file value: the case validation then checks it like any other."""
    low = raw.lower()
    if low in ("null", "none", "unknown") and typ != "text":
        return None
    if typ == "bool" and low in ("true", "false"):
        return low == "true"
    if typ == "int":
        try:
            return int(raw)
        except ValueError:
            return raw  # validation names the field and says it must be a whole number
    if typ == "terms":
        if raw.startswith("["):
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError(f"not a JSON list: {raw}") from None
        return [w for w in raw.split(",") if w] if raw not in ("[]", "") else []
    return raw


def _paths(text: str) -> list[str]:
    base = Path(text).parent if text else Path(".")
    try:
        return [str(p) + ("/" if p.is_dir() else "") for p in sorted(base.iterdir()) if str(p).startswith(text)]
    except OSError:
        return []
