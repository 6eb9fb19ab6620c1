"""``laro-kb repl``: a reviewer's shell for exploring one case without editing files.

Every change goes through the same validation as a case file (:func:`laro_kb.case.parse.parse_case`), so a value that
would be refused in a file is refused here, with the same message. On a terminal the prompt is prompt_toolkit's:
history in ~/.laro_kb_history (or $LARO_KB_HISTORY), and <Tab> completes commands, field names, terms (each item of a
comma-separated list) and pathway ids. Elsewhere (a pipe, a script, a test) lines are read as they come.

An error in a command (a refused value, a file that cannot be read or written) is one line, and the prompt returns.
Ctrl-C cancels the line being typed, or the command running, and the prompt returns with the case as it was
(docs/explanations.md). Ctrl-D, quit and exit leave, and ask first when the case has changes that were not saved;
load asks the same before it replaces them.
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
from ..knowledgebase import FORMATS
from ..render.decision import decision_text

INTRO = ("laro-kb reviewer shell. Type 'help' for commands, 'help COMMAND' for one; <Tab> completes.\n"
         "Values: true, false, null (unset), numbers, terms, and lists as a,b,c or JSON.")


class Shell(cmd.Cmd):
    prompt = "laro-kb> "

    def __init__(self, kb, case: Optional[Case] = None, stdin=None, stdout=None, session=None):
        super().__init__(stdin=stdin, stdout=stdout)
        if stdin is not None:
            self.use_rawinput = False
        self.session = session  # a prompt_toolkit PromptSession that reads lines, or None
        self.kb = kb
        self.case = case or Case("repl", ())
        self.saved = self.case  # what the case was when last loaded or saved
        self.fields = sorted(kb.vocabulary.fields)

    # -- plumbing ------------------------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def read_line(self) -> str:
        """The next line: from the prompt_toolkit session, the terminal, or stdin; 'EOF' at the end of input."""
        if self.session is not None:
            try:
                return self.session.prompt(self.prompt)
            except EOFError:
                return "EOF"
        if self.use_rawinput:
            try:
                return input(self.prompt)
            except EOFError:
                return "EOF"
        self.stdout.write(self.prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        return line.rstrip("\r\n") if line else "EOF"

    def cmdloop(self, intro=None) -> None:
        """The command loop, in which Ctrl-C cancels the line (or the command) and the prompt returns."""
        if intro:
            self.say(intro)
        stop = False
        while not stop:
            try:
                stop = self.onecmd(self.read_line())
            except KeyboardInterrupt:
                self.say("\n(cancelled; quit or Ctrl-D leaves)")

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
        if self.session is None:
            self.stdout.write(f"{question} [y/N] ")
            self.stdout.flush()
        try:
            answer = self.session.prompt(f"{question} [y/N] ") if self.session is not None else \
                input() if self.use_rawinput else self.stdin.readline()
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
        """The case with fields changed (and its id, by ``set id NEW``), validated exactly as a case file."""
        data = self.case.as_dict()
        ids = [raw for name, raw in pairs if name == "id"]
        if len(ids) > 1:
            raise ValueError("the id is given twice; give it once")
        if ids:
            data["id"] = ids[0]
        for full, raw in resolve_pairs([(n, v) for n, v in pairs if n != "id"], self.kb.vocabulary):
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
        """set FIELD VALUE [FIELD VALUE ...]: document facts (set ecog 1; set progressed_on chemotherapy,ebrt);
        set id NEW renames the case."""
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
        """why [PATHWAY ...] [--depth N] [--format text|markdown|json|letter|letter-html]: explain every candidate
        pathway, or the ones named (as laro-kb why)."""
        ids, depth, fmt = _options(arg)
        self.say(self.kb.text(self.kb.explain(self.case, ids or None), depth, fmt))

    def do_whynot(self, arg: str) -> None:
        """whynot PATHWAY [--depth N] [--format F]: why one pathway is or is not met, and the smallest change that
        approves it."""
        ids, depth, fmt = _options(arg)
        if len(ids) != 1:
            raise ValueError("whynot takes one pathway id, for example: whynot nsclc.3a")
        self.say(self.kb.text(self.kb.explain(self.case, ids), depth, fmt))

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
        done, _, last = text.rpartition(",")  # a list: complete its last item and keep the ones before it
        chosen = set(done.split(",")) if done else set()
        return [done + "," * bool(done) + v for v in values + (["null"] if not done else [])
                if v.startswith(last) and v not in chosen]

    def complete_set(self, text, line, begidx, endidx):
        return self._complete_field_value(text, line)

    complete_whatif = complete_set

    def complete_unset(self, text, line, begidx, endidx):
        return [f for f, _ in self.case.values if f.startswith(text)]

    def complete_why(self, text, line, begidx, endidx):
        words = line[:begidx].split()
        if words and words[-1] == "--format":
            return [f for f in FORMATS if f.startswith(text)]
        return [p for p in self.kb.pathways if p.startswith(text)] + \
            [o for o in ("--depth", "--format") if o.startswith(text) and text]

    complete_whynot = complete_why

    def complete_pathways(self, text, line, begidx, endidx):
        return sorted({p.section for p in self.kb.pathways.values() if p.section.startswith(text)})

    def complete_fields(self, text, line, begidx, endidx):
        return [f for f in self.fields if f.startswith(text)]

    def complete_load(self, text, line, begidx, endidx):
        return _paths(text)

    complete_save = complete_load


class Completer:
    """The shell's completion for prompt_toolkit: the word before the cursor, completed by the shell's own
    ``complete_*`` methods (those of cmd.Cmd), so a terminal and a test see the same candidates."""

    def __init__(self, shell: Shell):
        self.shell = shell

    def candidates(self, line: str) -> tuple[str, list[str]]:
        """The word being completed at the end of ``line``, and its completions."""
        begidx = len(line) - len(line.split(" ")[-1])
        text = line[begidx:]
        if not line[:begidx].strip():
            return text, self.shell.completenames(text, line, begidx, len(line))
        command = line.split()[0]
        method = getattr(self.shell, f"complete_{command}", None)
        return text, (method(text, line, begidx, len(line)) or []) if method else []

    def get_completions(self, document, complete_event):
        from prompt_toolkit.completion import Completion
        text, found = self.candidates(document.text_before_cursor)
        for word in found:
            yield Completion(word, start_position=-len(text))


def session(shell: Shell, history: Path, **keywords):
    """A prompt_toolkit session for the shell: its completer, and the history file. <Tab> completes at once when
    one word fits (so typed-ahead keys find it done), and opens the menu when several do."""
    from os.path import commonprefix

    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import Completer as Base
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    class _Adapter(Completer, Base):
        pass

    adapter, keys = _Adapter(shell), KeyBindings()

    @keys.add("tab")
    def _complete(event) -> None:
        buffer = event.current_buffer
        if buffer.complete_state:
            buffer.complete_next()
            return
        text, found = adapter.candidates(buffer.document.text_before_cursor)
        common = commonprefix(found)
        if len(common) > len(text):
            buffer.delete_before_cursor(len(text))
            buffer.insert_text(common)
        elif found:
            buffer.start_completion(select_first=False)

    return PromptSession(history=FileHistory(str(history)), completer=adapter, complete_while_typing=False,
                         key_bindings=keys, **keywords)


def run(kb, case: Optional[Case] = None) -> None:
    """Run the shell: prompt_toolkit (history and completion) on a terminal, plain lines from a pipe."""
    import sys
    shell = Shell(kb, case)
    if sys.stdin.isatty() and sys.stdout.isatty():
        history = Path(os.environ.get("LARO_KB_HISTORY", Path.home() / ".laro_kb_history"))
        shell.session = session(shell, history)
    shell.cmdloop(INTRO + (f"\nCase {case.id} loaded." if case else ""))


def _pairs(arg: str) -> list[tuple[str, str]]:
    words = shlex.split(arg)
    if not words or len(words) % 2:
        raise ValueError("give FIELD VALUE pairs, for example: set ecog 1")
    return list(zip(words[::2], words[1::2]))


def _options(arg: str) -> tuple[list[str], int, str]:
    """why / whynot arguments: pathway ids, --depth N and --format F (the formats of laro-kb why)."""
    words = shlex.split(arg)
    depth, fmt = 3, "text"
    if "--depth" in words:
        i = words.index("--depth")
        try:
            depth = int(words[i + 1])
        except (IndexError, ValueError):
            raise ValueError("--depth takes a number") from None
        del words[i:i + 2]
    if "--format" in words:
        i = words.index("--format")
        if i + 1 >= len(words) or words[i + 1] not in FORMATS:
            raise ValueError(f"--format takes one of {', '.join(FORMATS)}")
        fmt = words[i + 1]
        del words[i:i + 2]
    return words, depth, fmt


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
