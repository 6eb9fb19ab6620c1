"""laro_kb.cli.repl: the reviewer's shell, driven by scripted input."""

from __future__ import annotations

import io
import json

from laro_kb.cli.repl import Shell

from ..conftest import EXAMPLES


def session(kb, script: str, case=None) -> str:
    out = io.StringIO()
    shell = Shell(kb, case, stdin=io.StringIO(script), stdout=out)
    shell.cmdloop(intro="")
    return out.getvalue()


def test_a_reviewer_loads_sets_decides_and_asks_why_not(kb):
    out = session(kb, f"load {EXAMPLES / 'nsclc-missing-ntrk.json'}\ndecide\nset ntrk_fusion positive\ndecide\n"
                      "whynot nsclc.3b --depth 2\nquit\n")
    assert "loaded case example-nsclc-missing-ntrk (10 facts)" in out
    assert "Case example-nsclc-missing-ntrk: PEND" in out
    assert "Case example-nsclc-missing-ntrk: APPROVE" in out
    assert "1 nsclc.3b DENIED" in out and "requires treatment.line >= 2" in out


def test_set_is_validated_exactly_as_a_case_file(kb):
    out = session(kb, "set ecog 7\nset ntrk_fusion postive\nset agee 5\nshow\nquit\n")
    assert "error: record repl: field 'performance.ecog': 7 is impossible: must be from 0 to 4" in out
    assert "'postive' is not a valid term (did you mean 'positive'?)" in out
    assert "field 'agee': is not a field of the case format (did you mean 'age'?)" in out
    assert "(no facts documented)" in out


def test_unset_makes_a_fact_unknown_and_whatif_keeps_nothing(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    out = session(kb, "whatif line 2\nshow\nunset ntrk_fusion\ndecide\nquit\n", case)
    assert "now: APPROVE (nsclc.3a)" in out and "if:  DENY (no pathway met)" in out
    assert "treatment.line = 1" in out
    assert "Case example-nsclc-first-line: PEND" in out


def test_lists_and_help_and_unknown_commands(kb):
    out = session(kb, "set progressed_on chemotherapy,ebrt\nshow\nhelp whynot\ndecidee\nquit\n")
    assert "history.progressed_on = [chemotherapy, ebrt]" in out
    assert "whynot PATHWAY" in out
    assert "error: unknown command 'decidee' (did you mean 'decide'?)" in out


def test_completion_of_commands_fields_values_and_pathways(kb):
    shell = Shell(kb)
    assert "whynot" in shell.completenames("why")
    assert "biomarker.ntrk_fusion" in shell.complete_set("biomarker.n", "set biomarker.n", 4, 15)
    assert shell.complete_set("pos", "set ntrk_fusion pos", 16, 19) == ["positive"]
    assert shell.complete_whynot("nsclc.3", "whynot nsclc.3", 7, 14) == ["nsclc.3a", "nsclc.3b"]


# -- errors keep the prompt; Ctrl-C cancels; quit asks before unsaved changes are lost ----------------------------
def test_a_save_or_load_to_a_bad_path_is_an_error_and_the_prompt_returns(kb, tmp_path):
    (tmp_path / "a-directory").mkdir()
    script = (f"set age 58\nsave {tmp_path}/missing/case.json\nsave {tmp_path}/a-directory\nsave\n"
              f"load {tmp_path}/missing.json\nload {tmp_path}/a-directory\nload /dev/zero\nshow\n"
              f"save {tmp_path}/case.json\nquit\n")
    out = session(kb, script)
    assert out.count("error: ") == 6
    assert f"error: {tmp_path}/missing/case.json: cannot be written (No such file or directory); the case is kept " \
           "here" in out
    assert "error: save needs a file name" in out and "is not a regular file but a character device" in out
    assert "patient.age = 58" in out and f"saved {tmp_path}/case.json" in out
    assert kb.read_case(tmp_path / "case.json").get("patient.age") == 58
    assert "not saved" not in out  # saved before quit: nothing to ask


def test_quit_and_end_of_input_ask_before_unsaved_changes_are_lost(kb, tmp_path):
    out = session(kb, f"set age 58\nquit\nn\nshow\nexit\nno\nsave {tmp_path}/c.json\nset ecog 1\nquit\ny\nshow\n")
    assert out.count("Case repl has changes that are not saved; quit anyway? [y/N]") == 3
    assert out.count("patient.age = 58") == 1 and "performance.ecog" not in out  # the last show never ran
    out = session(kb, "set age 58\n")  # the end of a script: asked, and the end of input answers
    assert out.endswith("quit anyway? [y/N] \n")


def test_load_asks_before_it_replaces_unsaved_changes(kb):
    path = EXAMPLES / "renewal.json"
    out = session(kb, f"set age 58\nload {path}\nn\nshow\nload {path}\ny\nshow\nquit\n")
    assert "load another anyway? [y/N]" in out
    assert out.index("patient.age = 58") < out.index("loaded case example-renewal")


def test_a_field_given_twice_in_one_command_is_refused(kb):
    out = session(kb, "set age 5 patient.age 6\nshow\nquit\n")
    assert "error: field 'patient.age': is given twice: as 'age' and as 'patient.age'; give it once" in out
    assert "(no facts documented)" in out


def test_ctrl_c_at_the_prompt_cancels_the_line_and_keeps_the_case(tmp_path):
    """A real process reading a real pipe: SIGINT at the prompt, then quit asks, then a save and quit."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    from ..conftest import ROOT

    env = dict(os.environ, PYTHONPATH=str(ROOT), LARO_KB_HISTORY=str(tmp_path / "history"))
    proc = subprocess.Popen([sys.executable, "-m", "laro_kb", "repl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    seen: list[bytes] = []
    threading.Thread(target=lambda: seen.extend(iter(lambda: os.read(proc.stdout.fileno(), 4096), b"")),
                     daemon=True).start()

    def send_and_wait(line: str, text: str) -> None:
        if line:
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
        deadline = time.monotonic() + 30
        while text not in b"".join(seen).decode() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert text in b"".join(seen).decode(), b"".join(seen).decode()
        seen[:] = [b"".join(seen).decode().split(text, 1)[1].encode()]

    send_and_wait("", "laro-kb> ")
    send_and_wait("set age 58", "ok\nlaro-kb> ")
    proc.send_signal(signal.SIGINT)  # at the prompt, waiting for a line
    send_and_wait("", "(cancelled; quit or Ctrl-D leaves)\nlaro-kb> ")
    send_and_wait("show", "patient.age = 58")
    send_and_wait("quit", "quit anyway? [y/N] ")
    send_and_wait("n", "laro-kb> ")
    send_and_wait(f"save {tmp_path}/missing/case.json", "cannot be written")
    send_and_wait(f"save {tmp_path}/case.json", "laro-kb> ")
    proc.stdin.write(b"quit\n")
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0 and b"Traceback" not in proc.stderr.read()
    assert json.loads((tmp_path / "case.json").read_text())["patient"] == {"age": 58}


# -- issue 16: set id, list completion, why --format, Ctrl-C in a command, prompt_toolkit ---------------------------
def test_set_id_renames_the_case_and_is_validated_like_a_case_file(kb, tmp_path):
    out = session(kb, f"set id r1 age 58\nshow\nset id {'x' * 1000}\nsave {tmp_path}/c.json\nquit\n")
    assert "case r1\n  patient.age = 58\n" in out
    assert out.count("error: ") == 1 and "error: record r1: field 'id': must be text of 1 to 200" in out
    assert json.loads((tmp_path / "c.json").read_text()) == {"id": "r1", "patient": {"age": 58}}


def test_completion_keeps_every_item_of_a_comma_separated_list(kb):
    shell = Shell(kb)
    line = "set progressed_on chemotherapy,eb"
    assert shell.complete_set("chemotherapy,eb", line, 18, len(line)) == ["chemotherapy,ebrt"]
    line = "set progressed_on chemotherapy,ebrt,"
    done = shell.complete_set("chemotherapy,ebrt,", line, 18, len(line))
    assert done and all(c.startswith("chemotherapy,ebrt,") for c in done)
    assert "chemotherapy,ebrt,chemotherapy" not in done and "chemotherapy,ebrt,null" not in done


def test_why_and_whynot_take_the_formats_of_the_cli(kb):
    from click.testing import CliRunner

    from laro_kb.cli import main
    path = EXAMPLES / "nsclc-missing-ntrk.json"
    case = kb.read_case(path)
    for command, cli in (("why --format markdown", ["why", str(path), "--format", "markdown"]),
                         ("why --format letter", ["why", str(path), "--format", "letter"]),
                         ("whynot nsclc.3a --format letter-html", ["whynot", str(path), "nsclc.3a", "--format",
                                                                   "letter-html"])):
        out = session(kb, command + "\nquit\n", case)
        assert out == "laro-kb> " + CliRunner().invoke(main, cli).output + "laro-kb> "
    out = session(kb, "why --format worksheet\nquit\n", case)
    assert out == "laro-kb> error: --format takes one of text, markdown, json, letter, letter-html\nlaro-kb> "


def test_ctrl_c_in_a_running_command_cancels_it_and_keeps_the_case(kb, monkeypatch):
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        raise KeyboardInterrupt

    case = kb.read_case(EXAMPLES / "renewal.json")
    shell = Shell(kb, case, stdin=__import__("io").StringIO("set age 60\nwhy\nshow\nquit\ny\n"),
                  stdout=(out := __import__("io").StringIO()))
    monkeypatch.setattr(kb, "explain", interrupted)
    shell.cmdloop(intro="")
    text = out.getvalue()
    assert calls and "laro-kb> \n(cancelled; quit or Ctrl-D leaves)\nlaro-kb> case example-renewal\n" in text
    assert "patient.age = 60" in text


def test_on_a_terminal_prompt_toolkit_completes_with_tab_and_keeps_history(kb, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from laro_kb.cli.repl import Completer
    from laro_kb.cli.repl import session as prompt_session
    shell = Shell(kb, stdout=(out := __import__("io").StringIO()))
    assert Completer(shell).candidates("set progressed_on chemotherapy,eb") == ("chemotherapy,eb",
                                                                                ["chemotherapy,ebrt"])
    assert Completer(shell).candidates("wh")[1] == ["whatif", "why", "whynot"]
    with create_pipe_input() as keys:
        shell.session = prompt_session(shell, tmp_path / "history", input=keys, output=DummyOutput())
        keys.send_text("set progressed_on chemotherapy,eb\t\rshow\r")
        keys.send_text("\x03")  # Ctrl-C at the prompt
        keys.send_text("quit\ry\r")
        shell.cmdloop(intro="")
    text = out.getvalue()
    assert "history.progressed_on = [chemotherapy, ebrt]" in text
    assert "(cancelled; quit or Ctrl-D leaves)" in text
    assert "set progressed_on chemotherapy,ebrt" in (tmp_path / "history").read_text()
