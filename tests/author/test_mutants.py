"""Seeded mutants (tests/author/mutants.yaml): laro-kb check finds each defect it claims, and laro-kb diff shows every
decision-changing edit with an example patient, never says "no change" for an edit that changes something, and says
it for reorders and comments.

Each mutant is a one-line edit of a copy of kb/. check runs on every mutant, with the witnesses of the shipped kb
lent where the edit cannot change their search (laro_kb.author.reference: the same findings, found sooner;
test_reference.py holds the lent witnesses to the ones the search finds); diff on every mutant, against the session's
shipped kb, whose witnesses, SQL databases and decisions are built once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import laro_kb
from laro_kb.author.check import run_check
from laro_kb.author.diff import diff
from laro_kb.errors import CaseError, LaroError

from ..conftest import KB_DIR

MUTANTS = yaml.safe_load((Path(__file__).parent / "mutants.yaml").read_text(encoding="utf-8"))
CLASSES = ("renamed predicate or constant", "dropped or added negation", "swapped threshold", "deleted exclusion",
           "removed is_a or code mapping", "duplicated pathway", "wrong citation", "changed policy text",
           "self-negating rule")


def apply(kb_dir: Path, m: dict) -> None:
    """Edit one line of ``kb_dir/m['file']`` as the mutant says."""
    path = kb_dir / m["file"]
    lines = path.read_text(encoding="utf-8").split("\n")
    at = [i for i, line in enumerate(lines) if line == m["line"]]
    assert len(at) == 1, f"{m['name']}: the line must occur once in {m['file']}, found {len(at)}"
    i = at[0]
    if m.get("delete"):
        del lines[i]
    elif "move_after" in m:
        moved = lines.pop(i)
        (j,) = [k for k, line in enumerate(lines) if line == m["move_after"]]
        lines.insert(j + 1, moved)
    elif m.get("insert"):
        lines.insert(i + 1, m["to"])
    else:
        lines[i] = m["to"]
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def baseline(shipped_check):
    return {(f.code, f.message) for f in shipped_check.findings}


def _outcome(kb, case):
    """The decision of ``case`` by ``kb``, independently of diff: what it decides, or why it cannot."""
    try:
        d = kb.decide(kb.parse_case(case.as_dict()))
    except CaseError as exc:
        return ("refused", exc.message)
    except (LaroError, RecursionError) as exc:
        return ("error", type(exc).__name__)
    return (d.outcome, d.code_notes, sorted((p.id, p.verdict, p.needs, sorted((c.criterion, c.status)
                                                                          for c in p.criteria)) for p in d.pathways))


@pytest.mark.parametrize("m", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_check_and_diff_catch_the_mutant(m, kb, baseline, witness_reference, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    apply(copy, m)
    report = run_check(copy, witness_reference)
    new = [f for f in report.findings if (f.code, f.message) not in baseline]
    if m["check"]:
        found = [f for f in new if f.code == m["check"]]
        assert found, f"check did not report {m['check']}: {[str(f) for f in new]}"
        assert all(f.fix and (f.file or f.pathway) for f in found)
    else:
        assert not new, f"check reports what this mutant says it cannot see: {[str(f) for f in new]}"
    mutant = report.kb or laro_kb.load(copy)
    d = diff(kb, mutant)
    if m["decisions"] == "identical":
        assert d.identical and d.no_change and not d.statements and not d.pathways
        return
    assert not d.no_change and not d.identical
    if m["decisions"] == "unchanged":
        assert not d.pathways and not d.errors, [(p.pathway, p.examples[:1]) for p in d.pathways]
        assert d.decisions_proved_unchanged or d.compared > 0
        return
    assert d.pathways, f"diff found no decision change among {d.compared} patients"
    example = d.pathways[0].examples[0]
    assert (example.old, example.new) and example.old != example.new
    assert _outcome(kb, example.case) != _outcome(mutant, example.case)


def test_the_mutants_cover_every_class_and_check_alone_catches_nine_in_ten():
    defects = [m for m in MUTANTS if m["class"] in CLASSES]
    assert len(defects) >= 60 and {m["class"] for m in defects} == set(CLASSES)
    assert len({m["name"] for m in MUTANTS}) == len(MUTANTS)
    caught = sum(bool(m["check"]) for m in defects)
    assert caught / len(defects) >= 0.9, f"check catches {caught} of {len(defects)}"
    assert sum(m["decisions"] == "changed" for m in defects) >= 25
    assert {m["decisions"] for m in MUTANTS if m["class"] == "reorder or comment"} == {"identical"}
