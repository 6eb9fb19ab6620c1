"""The commands the README and docs/ show are real: every `laro-kb` command line in their shell blocks names a
command that exists, with options that command accepts; and those that name only real files run."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from laro_kb.cli import main

from .conftest import ROOT

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
