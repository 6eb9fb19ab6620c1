"""The decision program (laro_kb/engine/decision_program.py) must answer exactly as kb/logic.dl, the reference semantics.

Both programs live in one engine, so each case is asserted once and both report predicates are asked: every row
(decision, each candidate's verdict, each criterion's status, each gap, the authorization period, the code notes)
must be the same.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import laro_kb
from laro_kb.author.testing.cases import load_tests
from laro_kb.engine.decision_program import REPORT
from laro_kb.errors import KBError

from ..conftest import CASES, KB_DIR
from ..test_properties import KB, valid_cases


def reports(kb, case) -> tuple[set, set]:
    """(reference rows, decision-program rows) for one case."""
    kb.reference.compile()  # make sure the decision program is loaded
    handles = kb.engine.assert_facts(case.facts("#compare", kb.vocabulary))
    try:
        return (set(kb.engine.ask("report", "#compare", None, None, None, None)),
                set(kb.engine.ask(REPORT, "#compare", None, None, None, None)))
    finally:
        kb.engine.retract(handles)


def edited_kb(tmp_path, name: str, old: str, new: str):
    """A copy of the shipped kb with ``old`` replaced by ``new`` in kb/``name``, loaded."""
    shutil.copytree(KB_DIR, tmp_path / "kb")
    path = tmp_path / "kb" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return laro_kb.load(tmp_path / "kb", engine="pydatalog")


def without_section(data: dict) -> dict:
    out = dict(data)
    out["diagnosis"] = {k: v for k, v in (data.get("diagnosis") or {}).items() if k not in ("section", "subsection")}
    return out


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_third_of_the_shipped_cases_get_the_same_report_from_the_decision_program_and_logic_dl(kb, path):
    """Every third case of each file, row for row. The rest are covered through the SQL engine: every shipped case
    decides the same in it as in the decision program (tests/engine/test_sql.py), and the self-check holds every
    case's traced verdicts and decision, which logic.dl derives, to the SQL engine's (tests/explain/test_selfcheck.py)."""
    for t in load_tests(path)[::3]:
        reference, compiled = reports(kb, kb.parse_case(t.case))
        assert any(row[1] == "decision" for row in reference)
        assert compiled == reference, t.name


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml"))[::10], ids=lambda p: p.stem)
def test_a_case_without_its_section_gets_the_same_report_from_both(kb, path):
    """With no section documented, every section whose indication can still be met is a candidate."""
    for t in load_tests(path)[:1]:
        reference, compiled = reports(kb, kb.parse_case(without_section(t.case)))
        assert compiled == reference, t.name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_cases())
def test_a_generated_case_gets_the_same_report_from_both(case):
    reference, compiled = reports(KB, case)
    assert compiled == reference


def test_decisions_use_the_decision_program_and_compiled_false_uses_logic_dl(kb):
    case = kb.read_case(KB_DIR.parent / "examples" / "nsclc-first-line.json")
    reference = laro_kb.KnowledgeBase(KB_DIR, engine="pydatalog", compiled=False)
    kb.reference.compile()
    assert reference.reference.report_predicate() == "report" and kb.reference.report_predicate() == REPORT
    assert reference.decide(case) == kb.decide(case)
    assert kb.decide(case).outcome == "approve"


def test_the_decision_program_follows_a_changed_criterion_with_no_code_change(tmp_path):
    """Lower the NSCLC age criterion's source: the compiled program must follow the kb, not remember it."""
    changed = edited_kb(tmp_path, "eligibility.dl", "+ at_least('age.at_least_18', 'patient.age', 18)",
                        "+ at_least('age.at_least_18', 'patient.age', 60)")
    changed.compile()
    case = changed.read_case(KB_DIR.parent / "examples" / "nsclc-first-line.json")
    d = changed.decide(case)
    assert dict(case.values)["patient.age"] < 60
    assert d.outcome == "deny"
    assert all(any(c.criterion == "age.at_least_18" and c.status == "not_met" for c in p.criteria)
               for p in d.pathways if p.pathway.section == "nsclc")
    assert reports(changed, case)[0] == reports(changed, case)[1]


def test_a_kb_predicate_with_the_reserved_prefix_is_refused(tmp_path):
    shutil.copytree(KB_DIR, tmp_path / "kb")
    with open(tmp_path / "kb" / "exclusion.dl", "a") as f:
        f.write("\n+ lk_h0('x')\n")
    kb = laro_kb.load(tmp_path / "kb", engine="pydatalog")
    with pytest.raises(KBError, match="reserved"):
        kb.compile()


def test_the_program_has_one_predicate_per_criterion_and_pathway_and_no_generic_dispatch(kb):
    kb.reference.compile()
    heads = {st.head.pred for st in kb.compiled}
    assert not heads & {"holds", "fails", "form", "holds_by", "fails_by"}
    assert sum(1 for h in heads if re.fullmatch(r"lk_v\d+", h)) == len(kb.pathways)
    assert all(h.startswith("lk_") for h in heads)


def test_every_shipped_example_decides_the_same_with_and_without_the_decision_program():
    reference = laro_kb.KnowledgeBase(KB_DIR, engine="pydatalog", compiled=False)
    program = laro_kb.KnowledgeBase(KB_DIR, engine="pydatalog")
    program.compile()
    for path in sorted(Path(KB_DIR.parent / "examples").glob("*.*")):
        case = program.read_case(path)
        assert program.decide(case) == reference.decide(case), path.name


def test_a_kb_builds_its_decision_program_by_itself_after_a_few_decisions():
    fresh = laro_kb.load(KB_DIR, engine="pydatalog")
    case = fresh.read_case(KB_DIR.parent / "examples" / "nsclc-first-line.json")
    first = fresh.decide(case)
    assert fresh.compiled is None  # one decision: logic.dl answered, nothing was built
    for _ in range(fresh.reference.COMPILE_AFTER):
        assert fresh.decide(case) == first
    assert fresh.compiled and fresh.reference.report_predicate() == REPORT


def test_a_copied_rule_keeps_its_own_variables_apart_from_those_the_copy_adds(tmp_path):
    """The copy asks verdict(C, _P, 'approved') as verdict(C, _P, K_n) & (K_n == 'approved'): a rule that already
    uses K_0 must not have it captured."""
    kb = edited_kb(tmp_path, "logic.dl", "approvable(C) <= verdict(C, _P, 'approved')",
                   "approvable(C) <= verdict(C, K_0, 'approved')")
    case = kb.read_case(KB_DIR.parent / "examples" / "nsclc-first-line.json")
    reference, compiled = reports(kb, case)
    assert ("#compare", "decision", "approve", "", "") in compiled
    assert compiled == reference
