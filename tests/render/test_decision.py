"""laro_kb.render.decision: the decision record's audit fields, and every record validated against the shipped JSON
Schema (laro_kb/render/schemas/decision.schema.json, in docs/decision-format.md)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest
from click.testing import CliRunner

import laro_kb
from laro_kb import __version__
from laro_kb.cli import main
from laro_kb.render.decision import JSON_SCHEMA

from ..conftest import DECIDED_AT, EXAMPLES, KB_DIR

VALIDATOR = jsonschema.Draft202012Validator(json.loads(JSON_SCHEMA.read_text(encoding="utf-8")))


def decide_json(*args, env=None) -> dict:
    result = CliRunner(env=env).invoke(main, ["decide", "--json", *map(str, args)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(JSON_SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_file()))
def test_decide_json_of_each_example_carries_the_audit_fields_and_meets_the_schema(kb, example):
    data = decide_json(EXAMPLES / example)
    VALIDATOR.validate(data)
    assert data["kb_version"] == kb.version and re.fullmatch(r"sha256:[0-9a-f]{64}", kb.version)
    assert data["policy"] == {"title": "Larotrectinib (Vitrakvi®)", "version": "1.0", "effective": "2025-08-28"}
    assert data["decided_at"] == DECIDED_AT
    assert data["engine"] == {"name": "sql", "laro_kb": __version__}
    assert decide_json(EXAMPLES / example, "--engine", "pydatalog")["engine"]["name"] == "pydatalog"


def test_a_record_that_breaks_the_schema_is_caught():
    data = decide_json(EXAMPLES / "renewal.json")
    for broken in ({k: v for k, v in data.items() if k != "decided_at"}, {**data, "decided_at": "yesterday"},
                   {**data, "kb_version": "1"}, {**data, "decision": "maybe"}, {**data, "extra": 1}):
        assert not VALIDATOR.is_valid(broken)


def test_decided_at_is_now_in_utc_when_the_clock_is_not_fixed(monkeypatch):
    monkeypatch.delenv("LARO_KB_DECIDED_AT")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    data = decide_json(EXAMPLES / "renewal.json")
    when = datetime.strptime(data["decided_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= when <= datetime.now(timezone.utc) + timedelta(seconds=1)


def test_a_clock_given_to_the_library_stamps_its_decisions(kb):
    clocked = laro_kb.load(KB_DIR, clock=lambda: "2030-05-06T07:08:09Z")
    d = clocked.decide(EXAMPLES / "renewal.json")
    assert d.audit.decided_at == "2030-05-06T07:08:09Z"
    assert d == kb.decide(EXAMPLES / "renewal.json")  # the same decision at another time is equal


def test_a_fixed_clock_that_is_not_an_iso_time_is_an_error(monkeypatch):
    monkeypatch.setenv("LARO_KB_DECIDED_AT", "last tuesday")
    result = CliRunner().invoke(main, ["decide", "--json", str(EXAMPLES / "renewal.json")])
    assert result.exit_code == 2
    assert result.output == "laro-kb: error: $LARO_KB_DECIDED_AT is 'last tuesday', not an ISO 8601 time " \
                            "(2026-01-01T00:00:00Z)\n"


def test_kb_version_and_policy_come_from_the_kb_files(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    refs = copy / "references.dl"
    refs.write_text(refs.read_text(encoding="utf-8").replace("'1.0', '2025-08-28'", "'1.1', '2026-02-01'"),
                    encoding="utf-8")
    shipped = decide_json(EXAMPLES / "renewal.json")
    draft = decide_json(EXAMPLES / "renewal.json", "--kb", copy)
    assert draft["policy"] == {"title": "Larotrectinib (Vitrakvi®)", "version": "1.1", "effective": "2026-02-01"}
    assert draft["kb_version"] != shipped["kb_version"]
    assert {k: v for k, v in draft.items() if k not in ("policy", "kb_version")} == \
        {k: v for k, v in shipped.items() if k not in ("policy", "kb_version")}
    refs.write_text(refs.read_text(encoding="utf-8").replace("+ policy(", "+ policy_draft("), encoding="utf-8")
    result = CliRunner().invoke(main, ["decide", "--kb", str(copy), str(EXAMPLES / "renewal.json")])
    assert result.exit_code == 2 and "must declare its policy once" in result.output


def test_every_batch_record_carries_the_audit_fields_and_meets_the_schema(kb, tmp_path):
    lines = [json.dumps(json.loads((EXAMPLES / n).read_text())) for n in ("renewal.json", "nsclc-missing-ntrk.json")]
    lines.append('{"id": "bad", "patient": {"age": 200}}')
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for rec in records:
        VALIDATOR.validate(rec)
    assert [r.get("decided_at") for r in records] == [DECIDED_AT, DECIDED_AT, None]
    assert {r.get("kb_version") for r in records} == {kb.version, None}


def test_a_criterion_met_by_derivation_says_so_and_one_met_by_its_own_field_does_not(kb, tmp_path):
    """biliary.4's "primary treatment" is met by derivation from first-line therapy of metastatic disease when the
    intent is undocumented (the example), and by the documented intent when it is given."""
    derived = decide_json(EXAMPLES / "biliary-first-line.yaml")
    (p,) = [p for p in derived["pathways"] if p["id"] == "biliary.4"]
    (c,) = [c for c in p["criteria"] if c["criterion"] == "biliary.primary_treatment"]
    assert (p["verdict"], c["status"], c["derived_from"]) == ("approved", "met", ["biliary.first_line_advanced"])
    assert all(not x["derived_from"] for q in derived["pathways"] for x in q["criteria"] if x is not c)
    documented = tmp_path / "documented.yaml"
    documented.write_text((EXAMPLES / "biliary-first-line.yaml").read_text()
                          .replace("treatment: {line: 1,", "treatment: {intent: primary, line: 1,"))
    own = decide_json(documented)
    (p,) = [p for p in own["pathways"] if p["id"] == "biliary.4"]
    (c,) = [c for c in p["criteria"] if c["criterion"] == "biliary.primary_treatment"]
    assert (p["verdict"], c["status"], c["derived_from"]) == ("approved", "met", [])
    VALIDATOR.validate(derived)
    text = kb.text(kb.decide(EXAMPLES / "biliary-first-line.yaml"))
    label = kb.criteria["biliary.first_line_advanced"].label
    assert f"primary treatment (met, by derivation from: {label})" in text
