"""The compiled kb kept on disk (laro_kb/engine/cache.py): a kb started from its cache entry decides and explains
exactly as one derived from kb/ anew, builds pyDatalog only when asked to, follows every edit of a kb file, and an
entry that cannot be trusted is derived again, never used."""

from __future__ import annotations

import json
import os
import shutil

import pytest

import laro_kb
from laro_kb.author.generate import generated_cases
from laro_kb.engine import cache
from laro_kb.engine.cache import Entry
from laro_kb.engine.sql import SQLProgram
from laro_kb.errors import CaseError

from ..conftest import EXAMPLES, KB_DIR


def decisions(kb, cases) -> list:
    """Everything a decision says: outcome, every pathway's verdict, every criterion's status and what it needs."""
    out = []
    for d in kb.decide_many(cases):
        out.append((d.case.id, d.outcome, d.authorization_months, d.asks,
                    [(r.pathway.id, r.verdict, r.needs, [(c.criterion, c.status, c.missing) for c in r.criteria])
                     for r in d.pathways]))
    return out


def status(decision, pathway: str, criterion: str) -> str:
    return next(c.status for r in decision.pathways if r.id == pathway for c in r.criteria if c.criterion == criterion)


@pytest.fixture(scope="module")
def cases(kb) -> list:
    out = [kb.read_case(p) for p in sorted(EXAMPLES.glob("*.json"))]
    for data in generated_cases(kb, 150, 5, keep=("diagnosis.section",)):
        try:
            out.append(kb.parse_case(data))
        except CaseError:
            pass
    return out


def test_a_kb_started_from_its_entry_decides_and_explains_as_one_derived_anew(tmp_path, cases):
    derived = laro_kb.load(KB_DIR, cache=False)
    first = laro_kb.load(KB_DIR, cache=tmp_path)  # derives, and writes the entry
    assert sorted(p.name for p in next(tmp_path.iterdir()).iterdir()) == ["kb.json"]
    first.decide(cases[0])  # compiles the SQLite program and builds its database: both are kept
    assert sorted(p.name for p in next(tmp_path.iterdir()).iterdir()) == ["kb.json", "sql-sqlite.db",
                                                                         "sql-sqlite.json"]
    started = laro_kb.load(KB_DIR, cache=tmp_path)
    assert started._engine is None  # the vocabulary, pathways and SQL came from the entry
    assert started.vocabulary == derived.vocabulary and started.pathways == derived.pathways
    assert (started.criteria, started.links, started.derivations, started.policy, started.materialized) == \
        (derived.criteria, derived.links, derived.derivations, derived.policy, derived.materialized)
    assert decisions(started, cases[:40]) == decisions(derived, cases[:40])  # SQLite, a case at a time
    assert started._engine is None
    assert decisions(started, cases) == decisions(derived, cases)  # DuckDB, set-at-a-time (over 200 cases)
    assert started.sql("sqlite") == derived.sql("sqlite")
    why = started.text(started.explain(cases[3]), format="markdown")  # the trace needs pyDatalog: built now
    assert started._engine is not None
    assert why == derived.text(derived.explain(cases[3]), format="markdown")


def test_an_edit_of_a_kb_file_is_a_new_entry_and_decides_as_edited(tmp_path, kb):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    store = tmp_path / "cache"
    adult = kb.case(age=18, section="head_and_neck", ntrk_fusion="positive")
    before = laro_kb.load(copy, cache=store).decide(adult)
    laro_kb.load(copy, cache=store).decide(adult)  # the same files: the same entry, read
    assert len(list(store.iterdir())) == 1
    assert status(before, "head_and_neck.3a", "age.at_least_18") == "met"
    path = copy / "eligibility.dl"
    text = path.read_text()
    path.write_text(text.replace("+ at_least('age.at_least_18', 'patient.age', 18)",
                                 "+ at_least('age.at_least_18', 'patient.age', 19)"))
    path.write_text(path.read_text().replace("'age at least 18'", "'age at least 19'"))
    edited = laro_kb.load(copy, cache=store)
    assert len(list(store.iterdir())) == 2  # a new entry, derived from the edited files
    assert edited.criteria["age.at_least_18"].label == "age at least 19"
    assert status(edited.decide(adult), "head_and_neck.3a", "age.at_least_18") == "not_met"


def test_a_damaged_entry_is_derived_again(tmp_path, cases):
    laro_kb.load(KB_DIR, cache=tmp_path).decide(cases[0])
    entry = next(tmp_path.iterdir())
    (entry / "kb.json").write_text('{"format": 1, "rows": {"term/3": [[')  # cut short
    image = (entry / "sql-sqlite.db").read_bytes()
    (entry / "sql-sqlite.db").write_bytes(image[:-4096])  # its digest no longer matches
    (entry / "sql-sqlite.json").write_text(json.dumps({"format": 1, "dialect": "sqlite"}))  # missing its parts
    kb = laro_kb.load(KB_DIR, cache=tmp_path)
    assert kb._engine is not None  # derived from kb/, not read
    reference = laro_kb.load(KB_DIR, cache=False)
    assert decisions(kb, cases[:25]) == decisions(reference, cases[:25])
    assert json.loads((entry / "kb.json").read_text())["format"] == cache.FORMAT  # written whole again
    assert laro_kb.load(KB_DIR, cache=tmp_path)._engine is None


def test_a_directory_others_may_write_is_not_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone's SQL could be put there
    if os.name == "posix":
        assert Entry.open("sha256:x", shared) is None
        kb = laro_kb.load(KB_DIR, cache=shared)
        assert list(shared.iterdir()) == [] and kb._engine is not None
    assert Entry.open("sha256:x", False) is None


def test_the_environment_chooses_the_directory_or_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.DIRECTORY_ENV, str(tmp_path / "here"))
    assert cache.default_directory() == tmp_path / "here"
    assert Entry.open("sha256:x").path.parent == tmp_path / "here"
    monkeypatch.setenv(cache.DIRECTORY_ENV, "")
    assert cache.default_directory() is None and Entry.open("sha256:x") is None
    monkeypatch.delenv(cache.DIRECTORY_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_directory() == tmp_path / "xdg" / "laro-kb"
    monkeypatch.delenv("XDG_CACHE_HOME")

    def nowhere():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.setattr(cache.Path, "home", staticmethod(nowhere))
    assert cache.default_directory() is None  # no home: no cache, and the kb loads all the same
    loaded = laro_kb.load(KB_DIR)
    assert loaded._engine is not None and loaded.decide(loaded.case(age=58)).outcome == "pend"


def test_only_the_most_recently_used_entries_are_kept(tmp_path):
    for i in range(cache.KEEP + 3):
        entry = Entry.open(f"sha256:{i}", tmp_path)
        entry.save({"term/3": [("f", "t", "d")]}, {})
        os.utime(entry.path, (i, i))  # each older than the next
    kept = sorted(int(os.stat(p).st_mtime) for p in tmp_path.iterdir())
    assert len(kept) == cache.KEEP and kept[-1] > cache.KEEP  # the newest kept, the oldest gone
    assert kept[0] == 3
    rows, _ = Entry.open(f"sha256:{cache.KEEP + 2}", tmp_path).load()
    assert rows.ask("term", None, None, None) == [("f", "t", "d")]
    with pytest.raises(ValueError):
        rows.ask("term", "f", None, None)  # an entry keeps open questions' answers only


@pytest.mark.parametrize("dialect,coded", [("sqlite", False), ("duckdb", False), ("duckdb", True)])
def test_a_program_read_back_is_the_program_written(kb, dialect, coded):
    program = kb.decider.program(dialect, coded=coded)
    again = SQLProgram.from_json(json.loads(json.dumps(program.to_json())))
    assert (again.dialect, again.static, again.dynamic, again.steps, again.demands, again.query) == \
        (program.dialect, program.static, program.dynamic, program.steps, program.demands, program.query)
    assert (again.codebook is None) == (not coded)
    if coded:
        assert again.codebook.codes == program.codebook.codes and again.codebook.texts == program.codebook.texts
    else:
        assert again.script() == program.script()
