"""laro_kb.explain.trace: the meta-interpreter re-derives the engine's answers from the kb's rules, with proofs."""

from __future__ import annotations

import shutil

import laro_kb
from laro_kb.explain.trace import Tracer

from ..conftest import EXAMPLES, KB_DIR


def test_the_tracer_proves_the_engines_verdicts_with_rule_steps(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    tracer = Tracer(kb.program, case.facts("#t", kb.vocabulary))
    verdicts = {a[1]: a[2] for a, _ in tracer.prove("verdict", "#t", None, None)}
    assert verdicts == {p.id: p.verdict for p in kb.decide(case).pathways}
    node = tracer.proof("verdict", "#t", "nsclc.3a", None)
    assert node.kind == "rule" and node.rule.file.endswith("logic.dl")
    assert dict(node.bindings)["P"] == "nsclc.3a"
    leaves = {str(n.goal) for n in node.walk() if n.kind == "case"}
    assert leaves == {"val('#t', 'diagnosis.section', 'nsclc')"}  # it is a candidate of the patient's section ...
    assert [str(n) for n in node.children if n.kind == "not"] == ["not open_('#t', 'nsclc.3a')"]  # ... none open
    age = tracer.proof("holds", "#t", "age.at_least_18")
    assert {str(n.goal) for n in age.walk() if n.kind == "case"} == {"val('#t', 'patient.age', 58)"}
    assert [str(n) for n in age.walk() if n.kind == "compare"] == ["(58 >= 18)"]


def test_a_negation_is_a_leaf_recording_that_its_goal_has_no_proof(kb):
    case = kb.case("t", request="initial", section="nsclc")
    tracer = Tracer(kb.program, case.facts("#t", kb.vocabulary))
    unknown = tracer.proof("unknown", "#t", "ntrk_fusion_positive")
    nots = [n for n in unknown.children if n.kind == "not"]
    assert {n.goal.pred for n in nots} == {"holds", "fails"}
    assert tracer.prove("holds", "#t", "ntrk_fusion_positive") == []


def test_an_edited_criterion_in_a_kb_copy_changes_the_explanation_with_no_code_change(kb, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    path = copy / "eligibility.dl"
    path.write_text(path.read_text()
                    .replace("at_least('age.at_least_18', 'patient.age', 18)", "at_least('age.at_least_18', 'patient.age', 65)")
                    .replace("label('age.at_least_18', 'age at least 18')", "label('age.at_least_18', 'age at least 65')"))
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    before = [c for c in kb.explain(case, ["nsclc.3a"]).pathways[0].criteria if c.criterion == "age.at_least_18"][0]
    after = [c for c in laro_kb.load(copy).explain(case, ["nsclc.3a"]).pathways[0].criteria
             if c.criterion == "age.at_least_18"][0]
    assert (before.status, before.label, before.comparisons) == ("met", "age at least 18", ("58 >= 18",))
    assert (after.status, after.label, after.comparisons, after.rule) == \
        ("not_met", "age at least 65", ("58 < 65",), "patient.age >= 65")
