"""laro_kb.cli.repl: the reviewer's shell, driven by scripted input."""

from __future__ import annotations

import io

from laro_kb.cli.repl import Shell

from ..conftest import EXAMPLES


def session(kb, script: str, case=None) -> str:
    out = io.StringIO()
    shell = Shell(kb, case, stdin=io.StringIO(script), stdout=out)
    shell.cmdloop(intro="")
    return out.getvalue()


def test_a_reviewer_loads_sets_decides_and_asks_why_not(kb):
    out = session(kb, f"load {EXAMPLES / 'nsclc-missing-ntrk.json'}\ndecide\nset ntrk_fusion positive\ndecide\n"
                      "whynot nsclc.3b --depth 2\nquit\n")
    assert "loaded case example-nsclc-missing-ntrk (10 facts)" in out
    assert "Case example-nsclc-missing-ntrk: PEND" in out
    assert "Case example-nsclc-missing-ntrk: APPROVE" in out
    assert "1 nsclc.3b DENIED" in out and "requires treatment.line >= 2" in out


def test_set_is_validated_exactly_as_a_case_file(kb):
    out = session(kb, "set ecog 7\nset ntrk_fusion postive\nset agee 5\nshow\nquit\n")
    assert "error: record repl: field 'performance.ecog': 7 is impossible: must be from 0 to 4" in out
    assert "'postive' is not a valid term (did you mean 'positive'?)" in out
    assert "field 'agee': is not a field of the case format (did you mean 'age'?)" in out
    assert "(no facts documented)" in out


def test_unset_makes_a_fact_unknown_and_whatif_keeps_nothing(kb):
    case = kb.read_case(EXAMPLES / "nsclc-first-line.json")
    out = session(kb, "whatif line 2\nshow\nunset ntrk_fusion\ndecide\nquit\n", case)
    assert "now: APPROVE (nsclc.3a)" in out and "if:  DENY (no pathway met)" in out
    assert "treatment.line = 1" in out
    assert "Case example-nsclc-first-line: PEND" in out


def test_lists_and_help_and_unknown_commands(kb):
    out = session(kb, "set progressed_on chemotherapy,ebrt\nshow\nhelp whynot\ndecidee\nquit\n")
    assert "history.progressed_on = [chemotherapy, ebrt]" in out
    assert "whynot PATHWAY" in out
    assert "error: unknown command 'decidee' (did you mean 'decide'?)" in out


def test_completion_of_commands_fields_values_and_pathways(kb):
    shell = Shell(kb)
    assert "whynot" in shell.completenames("why")
    assert "biomarker.ntrk_fusion" in shell.complete_set("biomarker.n", "set biomarker.n", 4, 15)
    assert shell.complete_set("pos", "set ntrk_fusion pos", 16, 19) == ["positive"]
    assert shell.complete_whynot("nsclc.3", "whynot nsclc.3", 7, 14) == ["nsclc.3a", "nsclc.3b"]
