"""laro_kb.author.diff: a changed criterion is found with example patients; a kb against itself is proved unchanged."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

import laro_kb
from laro_kb.author.diff import diff
from laro_kb.cli import main

from ..conftest import KB_DIR


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    copy = tmp_path_factory.mktemp("d") / "kb"
    shutil.copytree(KB_DIR, copy)
    path = copy / "pathways" / "thyroid.dl"
    text = path.read_text()
    assert "line('thyroid.3c', " in text
    path.write_text(text + "\n+ exclusion('thyroid.3c', 'prior_larotrectinib')\n")
    return copy


def test_a_kb_against_itself_is_proved_unchanged(kb):
    r = diff(kb, laro_kb.load(KB_DIR))
    assert r.no_change and not r.rules_changed
    assert {p.status for p in r.pathways} == {"unchanged"}


def test_one_changed_criterion_is_found_in_its_pathway_only_with_example_patients(kb, changed):
    r = diff(kb, laro_kb.load(changed))
    assert [p.pathway for p in r.changed] == ["thyroid.3c"]
    p = r.changed[0]
    assert p.changed_criteria == ("prior_larotrectinib",) and p.complete
    for e in p.changes:  # excluded when larotrectinib was given; pending while prior therapies are undocumented
        prior = dict(e.case.values).get("history.prior_therapies")
        assert (e.old, e.new) == (("approved", "denied") if prior and "larotrectinib" in prior
                                  else ("approved", "pending")) and (prior is None or "larotrectinib" in prior)
    assert any("exclusion.dl" in s and "prior_larotrectinib" in s for s in p.new_rules)


def test_a_changed_bound_flips_exactly_the_values_between_the_bounds(kb, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    path = copy / "pathways" / "pancreatic.dl"
    text = path.read_text()
    path.write_text(text.replace("at_most('ecog.0_to_1', 'performance.ecog', 1)", "at_most('ecog.0_to_1', "
                                 "'performance.ecog', 2)") if "at_most('ecog.0_to_1'" in text else text)
    elig = copy / "eligibility.dl"
    elig.write_text(elig.read_text().replace("at_most('ecog.0_to_1', 'performance.ecog', 1)",
                                             "at_most('ecog.0_to_1', 'performance.ecog', 2)"))
    r = diff(kb, laro_kb.load(copy))
    assert r.changed
    for p in r.changed:
        assert {dict(e.case.values)["performance.ecog"] for e in p.changes} == {2}


def test_the_cli_exits_1_on_change_and_0_on_none(changed):
    result = CliRunner().invoke(main, ["diff", str(KB_DIR), str(changed)])
    assert result.exit_code == 1 and "thyroid.3c:" in result.output
    same = CliRunner().invoke(main, ["diff", str(KB_DIR), str(KB_DIR)])
    assert same.exit_code == 0 and same.output.splitlines()[-1].startswith("No change: 134 of 134 pathways are proved")
