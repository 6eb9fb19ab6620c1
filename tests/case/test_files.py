"""laro_kb.case.files: case files that cannot be read are one-line errors (exit 2) on every command, naming the file,
the record and the field; reading is bounded in size, in YAML alias expansion, and to files and pipes."""

from __future__ import annotations

import os
import threading
import time

import pytest
from click.testing import CliRunner

from laro_kb.case.files import MAX_ALIAS_REPEAT, read_data
from laro_kb.cli import commands, main
from laro_kb.errors import CaseError

from ..conftest import EXAMPLES

ALIAS_BOMB = "id: bomb\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

# (what a user wrote, file name, text, the field the error names or None, words of the message)
UNREADABLE = [
    ("an integer beyond Python's digit limit", "c.json", '{"id": "r", "patient": {"age": ' + "9" * 5000 + "}}",
     "patient.age", "a number of 5,000 digits is too long"),
    ("the same integer in YAML", "c.yaml", "id: r\npatient: {age: " + "9" * 5000 + "}\n", "patient.age",
     "5,000 digits"),
    ("a YAML !!int tag on a word", "c.yaml", "id: r\npatient: {age: !!int x}\n", "patient.age",
     "'x' is not a valid integer"),
    ("a YAML !!float tag on a word", "c.yaml", "id: r\npatient: {age: !!float x}\n", "patient.age",
     "'x' is not a valid number"),
    ("a YAML !!bool tag on a word", "c.yaml", "id: r\ndisease: {metastatic: !!bool x}\n", "disease.metastatic",
     "'x' is not a valid boolean"),
    ("a YAML !!int tag on nothing", "c.yaml", "id: r\npatient: {age: !!int }\n", "patient.age",
     "'' is not a valid integer"),
    ("a YAML !!timestamp tag on a number", "c.yaml", "id: r\ndiagnosis: {tumor_type: !!timestamp 0b1}\n",
     "diagnosis.tumor_type", "'0b1' is not a valid date"),
    ("a YAML !!map tag on text", "c.yaml", "id: r\npatient: !!map text\n", None, "expected a mapping"),
    ("a YAML !!python tag", "c.yaml", "id: !!python/object/apply:os.system [true]\n", None, "not valid YAML"),
    ("an impossible date", "c.yaml", "id: r\ndiagnosis: {tumor_type: 2025-13-45}\n", "diagnosis.tumor_type",
     "'2025-13-45' is not a valid date"),
    ("a date where text belongs", "c.yaml", "id: r\ndiagnosis: {tumor_type: 2025-01-31}\n",
     "diagnosis.tumor_type", "must be text, not date"),
    ("a list as a mapping key", "c.yaml", "id: r\n? [a, b]\n: 1\n", None, "a list cannot be a field name"),
    ("a mapping as a key inside a group", "c.yaml", "id: r\npatient: {? {x: 1} : 1}\n", "patient",
     "a mapping cannot be a field name"),
    ("a lone surrogate in the id", "c.json", '{"id": "\\ud800"}', "id", "lone surrogates"),
    ("a lone surrogate in free text", "c.json", '{"id": "r", "diagnosis": {"tumor_type": "a\\udfffb"}}',
     "diagnosis.tumor_type", "lone surrogate"),
    ("NaN", "c.json", '{"id": "r", "patient": {"age": NaN}}', "patient.age", "NaN is not a number a case can hold"),
    ("Infinity", "c.json", '{"id": "r", "performance": {"ecog": -Infinity}}', "performance.ecog",
     "-Infinity is not a number"),
    ("a float too large to hold", "c.json", '{"id": "r", "patient": {"age": 1e999}}', "patient.age",
     "1e999 is too large to be a number"),
    ("YAML .inf", "c.yaml", "id: r\npatient: {age: .inf}\n", "patient.age", "'.inf' is not a number"),
    ("NaN as the id", "c.json", '{"id": NaN}', "id", "NaN is not a number"),
    ("a fraction where a whole number belongs", "c.json", '{"id": "r", "patient": {"age": 5.5}}', "patient.age",
     "must be a whole number, not 5.5"),
    ("a whole float far out of range", "c.json", '{"id": "r", "patient": {"age": 1e300}}', "patient.age",
     "a number of about 300 digits is impossible"),
    ("a field given as a dotted key and inside its group", "c.json",
     '{"id": "r", "patient.age": 5, "patient": {"age": 6}}', "patient.age",
     "is given twice: as 'patient.age' and as 'age' inside 'patient'"),
    ("a key given twice", "c.json", '{"id": "r", "id": "s"}', None, "has the key 'id' twice"),
    ("a YAML alias bomb", "c.yaml", ALIAS_BOMB, None, "YAML aliases"),
    ("a YAML node that contains itself", "c.yaml", "id: r\npatient: &p {age: *p}\n", None,
     "refers to a node that contains it"),
    ("a file over 1 MiB", "c.json", '{"id": "' + "x" * (1 << 20) + '"}', None, "is larger than 1 MiB"),
    ("bytes that are not UTF-8", "c.json", b'{"id": "\xc3\x28"}', None, "is not UTF-8 text"),
]


@pytest.fixture
def cli(kb, monkeypatch):
    """The laro-kb command with the session's kb (each command would load it again: half a second each)."""
    monkeypatch.setattr(commands, "load", lambda *args, **kwargs: kb)

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args])
    return invoke


@pytest.mark.parametrize("sentence, name, text, field, words", UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_a_case_file_that_cannot_be_used_is_one_line_and_exit_2_on_every_command(cli, tmp_path, sentence, name,
                                                                                     text, field, words):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    for command in (["decide", path], ["why", path, "--format", "markdown"], ["whynot", path, "nsclc.3a"],
                    ["repl", path]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
        assert result.output.startswith(f"laro-kb: error: {path}") and words in result.output
        if field is not None:
            assert f"field '{field}'" in result.output
        if field not in (None, "id"):
            assert "record r: " in result.output


def test_the_alias_bomb_is_refused_in_milliseconds():
    start = time.perf_counter()
    with pytest.raises(CaseError, match=f"at most {MAX_ALIAS_REPEAT:,} may be repeated"):
        read_data_text(ALIAS_BOMB)
    assert time.perf_counter() - start < 0.5


def test_aliases_that_repeat_a_little_are_read():
    data = read_data_text("base: &b {patient: {age: 5}, request: initial}\ntests:\n" +
                          "".join(f"  - {{<<: *b, id: t{i}}}\n" for i in range(50)))
    assert data["tests"][49] == {"patient": {"age": 5}, "request": "initial", "id": "t49"}


def read_data_text(text: str):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.yaml")
        with open(path, "w") as f:
            f.write(text)
        return read_data(path)


def test_a_device_is_refused_unread_and_a_fifo_is_read(cli, tmp_path):
    for device in ("/dev/zero", "/dev/urandom"):
        result = cli("decide", device)
        assert result.exit_code == 2 and "is not a regular file but a character device" in result.output
    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes((EXAMPLES / "renewal.json").read_bytes()))
    writer.start()
    result = cli("decide", fifo)
    writer.join()
    assert result.exit_code == 0 and result.output.startswith("Case example-renewal: APPROVE")


def test_a_fifo_that_never_ends_is_cut_at_the_size_bound(tmp_path):
    fifo = tmp_path / "case.json"
    os.mkfifo(fifo)

    def endless():
        try:
            with open(fifo, "wb") as f:
                while True:
                    f.write(b" " * 65536)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=endless)
    writer.start()
    with pytest.raises(CaseError, match="is larger than 1 MiB"):
        read_data(fifo)
    writer.join(timeout=10)
    assert not writer.is_alive()


def test_a_field_given_twice_by_keyword_is_refused_naming_both(kb):
    with pytest.raises(CaseError, match="is given twice: as 'age' and as 'patient.age'") as info:
        kb.case(age=5, patient__age=6)
    assert info.value.field == "patient.age"
