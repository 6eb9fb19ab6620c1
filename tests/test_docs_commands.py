"""The commands the README and docs/ show are real: every `laro-kb` command line in their shell blocks names a
command that exists, with options that command accepts; those that name only real files run; a `$ laro-kb` block
prints what it shows; the worked example of docs/authoring.md runs as written; and every `>>>` session in a Python
block runs as a doctest."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from laro_kb.cli import main

from .conftest import KB_DIR, ROOT

PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def shown() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("laro-kb "):
                    out.append((page.relative_to(ROOT).as_posix(), line))
    return out


COMMANDS = shown()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 12 and {p for p, _ in COMMANDS} >= {"README.md", "docs/batch.md", "docs/scale.md"}


@pytest.mark.parametrize("page, line", COMMANDS, ids=[f"{p}: {line[:40]}" for p, line in COMMANDS])
def test_a_command_shown_exists_with_the_options_shown(page, line):
    words = line.split()
    options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", line))
    if words[1].startswith("-"):
        accepted = {o for p in main.params for o in p.opts}
    else:
        assert words[1] in main.commands, f"{page} shows `{line}`: laro-kb has no command {words[1]}"
        accepted = {o for p in main.commands[words[1]].params for o in p.opts + p.secondary_opts} | {"--help"}
    assert options <= accepted, f"{page} shows `{line}`: {sorted(options - accepted)} not accepted"


SERVERS = ("serve",)  # runs until stopped: tests/service/ runs it for real, on a free port


@pytest.mark.parametrize("page, line", [(p, line) for p, line in COMMANDS
                                        if not re.search(r"[A-Z]{2,}|\[", line.split(">")[0])
                                        and line.split()[1] not in SERVERS])
def test_a_command_shown_with_real_arguments_runs(page, line, tmp_path):
    args = shlex.split(line.split(">")[0])[1:]
    if any("/" in a and not (ROOT / a).exists() for a in args):
        pytest.skip(f"{page} names a path of the reader's own: {line}")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


# -- transcripts: a `$ laro-kb ...` block shows the command's output; it must be what the command prints ----------
def fenced(text: str) -> list[tuple[str, list[str]]]:
    """The fenced blocks of a page, in order: (language, lines), indented ones (in a list item) too."""
    out, block, indent = [], None, ""
    for line in text.splitlines():
        if block is None:
            m = re.match(r"^( *)```(\w*)$", line)
            if m:
                indent, block = m.group(1), (m.group(2), [])
        elif line == indent + "```":
            out.append(block)
            block = None
        else:
            block[1].append(line[len(indent):])
    return out


def transcripts() -> list[tuple[str, str, str]]:
    """(page, command, shown output) for every fenced block that starts with `$ laro-kb` (indented ones too)."""
    out = []
    for page in PAGES:
        for _, lines in fenced(page.read_text(encoding="utf-8")):
            if lines and lines[0].startswith("$ laro-kb "):
                out.append((page.relative_to(ROOT).as_posix(), lines[0][2:].split("  #")[0].strip(),
                            "\n".join(lines[1:]) + "\n"))
    return out


def shown_as_pattern(shown: str) -> re.Pattern:
    """A shown output as a pattern: a line `...` stands for any lines, `...` in a line for any text, and a time
    (0.23s) for any time."""
    parts = []
    for line in shown.splitlines():
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        text = re.escape(line).replace(r"\.\.\.", ".*?")
        parts.append(re.sub(r"\d+\\\.\d+s", r"\\d+\\.\\d+s", text) + r"\n")
    return re.compile("".join(parts))


TRANSCRIPTS = transcripts()


def test_the_docs_show_transcripts():
    assert {p for p, _, _ in TRANSCRIPTS} >= {"docs/author-tests.md", "docs/authoring.md"}


def run_shown(command: str, cwd) -> str:
    import os
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, shlex.split(command)[1:]).output
    finally:
        os.chdir(here)


@pytest.mark.parametrize("page, command, shown", [t for t in TRANSCRIPTS if "drafts/" not in t[1]],
                         ids=[f"{p}: {c[:40]}" for p, c, _ in TRANSCRIPTS if "drafts/" not in c])
def test_a_transcript_shown_is_what_the_command_prints(page, command, shown):
    output = run_shown(command, ROOT)
    assert shown_as_pattern(shown).fullmatch(output), f"{page} shows `{command}` printing:\n{shown}\nit prints:\n{output}"


def test_the_worked_example_of_authoring_runs_as_written(tmp_path):
    """docs/authoring.md, steps 1-5, in a scratch directory: the draft, its typo, check, diff and test."""
    import shutil
    page = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    added = re.search(r"   ```\n   (\+ eligibility\('nsclc\.3b'.*?\))\n   ```", page).group(1)
    shutil.copytree(KB_DIR, tmp_path / "kb")
    shutil.copytree(ROOT / "tests" / "cases", tmp_path / "tests" / "cases")
    draft = tmp_path / "drafts" / "kb"
    shutil.copytree(KB_DIR, draft)
    nsclc = draft / "pathways" / "nsclc.dl"
    original = nsclc.read_text(encoding="utf-8")
    shown = {c.split()[1]: (c, s) for p, c, s in TRANSCRIPTS if p == "docs/authoring.md"}
    nsclc.write_text(original + added.replace("ecog.at_most_2", "ecog.at_most_two") + "\n", encoding="utf-8")
    command, output = shown["check"]
    assert shown_as_pattern(output).fullmatch(run_shown(command, tmp_path)), run_shown(command, tmp_path)
    nsclc.write_text(original + added + "\n", encoding="utf-8")
    counts = run_shown("laro-kb check --kb drafts/kb", tmp_path).splitlines()[-1]
    assert counts.startswith("0 errors, ") and f"With the typo fixed: `{counts}`" in page
    command, output = shown["diff"]
    assert shown_as_pattern(output).fullmatch(run_shown(command, tmp_path)), run_shown(command, tmp_path)
    # step 5: the draft fails the shipped tests that named no ECOG for nsclc.3b, and the page says which
    result = run_shown("laro-kb test tests/cases --kb drafts/kb", tmp_path)
    failed = re.findall(r"^FAILED (tests/cases/nsclc\.yaml:\d+) ", result, re.M)
    assert failed and all(f"`{f}`" in page for f in failed), result


# -- Python sessions: every ```python block with >>> runs as a doctest, from the repository root -----------------
def sessions() -> list[str]:
    return [page.relative_to(ROOT).as_posix() for page in PAGES
            if any(">>> " in b for b in re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S))]


SESSIONS = sessions()


def test_the_docs_show_python_sessions():
    assert {"README.md", "docs/batch.md", "docs/decision-format.md"} <= set(SESSIONS)


@pytest.mark.parametrize("page", SESSIONS)
def test_a_python_session_shown_runs_as_shown(page, monkeypatch):
    import doctest
    import io
    monkeypatch.chdir(ROOT)
    text = "\n".join(b for b in re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.S)
                     if ">>> " in b)
    test = doctest.DocTestParser().get_doctest(text, {}, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(test, out=report.write)
    assert runner.failures == 0 and runner.tries >= 3, report.getvalue()
