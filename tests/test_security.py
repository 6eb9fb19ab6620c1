"""Hostile input on every path: validated, never executed, and no effect on any other case.

The payloads run code if anything ever evaluates them as Python (as pyDatalog.load/ask would): each would create
a marker file. The test fails if the marker exists, if anything but a CaseError/KBError escapes, or if a reference
case's decision changes afterwards.
"""

from __future__ import annotations

import io
import json
import shutil

import pytest
from click.testing import CliRunner

import laro_kb
from laro_kb.case.model import set_field
from laro_kb.cli import main
from laro_kb.cli.repl import Shell
from laro_kb.errors import CaseError, KBError, LaroError

from .conftest import EXAMPLES, KB_DIR


@pytest.fixture
def payloads(tmp_path):
    marker = tmp_path / "pwned"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    values = [code, f"'); {code}; ('", f"\"; {code} #", f"x\n{code}\n", "\\'\\\"\\\\", f"') <= {code} & ('",
              "A" * 100_000, "\x00\x1b[31m\u2028", "Robert'); DROP TABLE cases;--", "+ p('x')", "~known(C, F)"]
    return marker, values


@pytest.fixture(scope="module")
def reference(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    return case, kb.decide(case)


def check_clean(kb, marker, reference):
    assert not marker.exists(), "a payload was executed"
    case, decision = reference
    assert kb.decide(case) == decision


def test_every_field_of_a_case_file_refuses_or_stores_hostile_strings(kb, tmp_path, payloads, reference):
    marker, values = payloads
    fields = list(kb.vocabulary.fields) + ["id", "patient.hostile", "hostile"]
    for name in fields:
        for value in values:
            # a documented section keeps each decision to one section's pathways (a case with none has every
            # pathway as a candidate, which is slow and tests nothing more here)
            data: dict = {"id": "h", "diagnosis": {"section": "nsclc"}}
            set_field(data, name, value)
            path = tmp_path / "h.json"
            path.write_text(json.dumps(data))
            try:
                d = kb.decide(kb.read_case(path))
            except CaseError as exc:
                assert exc.field is not None and len(str(exc)) < 1200 and "\n" not in str(exc)
            else:  # only free text and the case's own id (a label, never a fact) may hold it
                assert name in ("diagnosis.tumor_type", "id") and d.outcome == "pend"
    check_clean(kb, marker, reference)


def test_hostile_keys_and_ids_in_yaml_and_keywords_are_refused(kb, tmp_path, payloads, reference):
    marker, values = payloads
    for value in values:
        path = tmp_path / "h.yaml"
        path.write_text(json.dumps({value: 1}) + "\n", encoding="utf-8")
        with pytest.raises(CaseError):
            kb.read_case(path)
        with pytest.raises(CaseError):
            kb.case(**{"ntrk_fusion": value})
        with pytest.raises(LaroError):
            kb.case(**{value[:50] or "x": 1})
    check_clean(kb, marker, reference)


def test_a_yaml_object_tag_is_refused_not_constructed(kb, tmp_path, payloads, reference):
    marker, _ = payloads
    path = tmp_path / "h.yaml"
    path.write_text(f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(CaseError, match="not valid YAML"):
        kb.read_case(path)
    check_clean(kb, marker, reference)


def test_non_utf8_bytes_and_oversized_and_deep_files_are_refused(kb, tmp_path):
    bad = tmp_path / "b.json"
    bad.write_bytes(b'{"id": "\xc3\x28"}')
    with pytest.raises(CaseError, match="not UTF-8"):
        kb.read_case(bad)
    big = tmp_path / "big.json"
    big.write_text('{"id": "' + "x" * (2 << 20) + '"}')
    with pytest.raises(CaseError, match="larger than 1 MiB"):
        kb.read_case(big)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    with pytest.raises(CaseError, match="nested too deeply"):
        kb.read_case(deep)


def test_the_cli_gives_one_line_exit_2_and_no_traceback(tmp_path, payloads):
    marker, values = payloads
    for value in values:
        path = tmp_path / "h.json"
        path.write_text(json.dumps({"id": "h", "biomarker": {"ntrk_fusion": value}}))
        result = CliRunner().invoke(main, ["decide", str(path)])
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not marker.exists()


def test_the_repl_set_refuses_hostile_values_and_keeps_the_case(kb, payloads, reference):
    marker, values = payloads
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    script = "".join(f"set ntrk_fusion {json.dumps(v)}\n" for v in values if "\n" not in v) + "show\nquit\n"
    out = io.StringIO()
    Shell(kb, case, stdin=io.StringIO(script), stdout=out).cmdloop(intro="")
    assert "biomarker.ntrk_fusion = positive" in out.getvalue()
    assert out.getvalue().count("error:") == len([v for v in values if "\n" not in v])
    check_clean(kb, marker, reference)


def test_a_kb_directory_with_code_is_refused_before_any_of_it_runs(tmp_path, payloads):
    marker, values = payloads
    for i, value in enumerate(values[:6]):
        copy = tmp_path / f"kb{i}"
        shutil.copytree(KB_DIR, copy)
        (copy / "pathways" / "zz.dl").write_text(value if "Path" in value else f"+ p({value})\n")
        with pytest.raises(KBError):
            laro_kb.load(copy)
    assert not marker.exists()


def test_hostile_batch_records_become_error_records(kb, tmp_path, payloads, reference):
    from laro_kb.cli import batch
    marker, values = payloads
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": f"h{i}", "biomarker": {"ntrk_fusion": v}}) for i, v in enumerate(values)]
    lines += [json.dumps({"id": "k", v[:40] or "x": 1}) for v in values]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe{\n")
    out = tmp_path / "out.jsonl"
    summary = batch.run(kb, path, out)
    assert summary.errors == summary.total == len(lines) + 1
    assert all("error" in json.loads(line) for line in out.read_text().splitlines())
    check_clean(kb, marker, reference)
