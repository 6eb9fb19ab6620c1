"""laro_kb.author.reference: the witnesses one kb lends to the check of an edited copy are the ones the copy's own
search finds; a pathway whose search read what the edit changed borrows nothing, and an edit of a rule that every
proof reads lends nothing at all. (tests/author/test_mutants.py checks 72 edited copies with the lent witnesses.)"""

from __future__ import annotations

import shutil

import laro_kb
from laro_kb.explain.witness import witness

from ..conftest import KB_DIR


def _edited(tmp_path, path: str, old: str, new: str):
    copy = tmp_path / "kb"
    shutil.copytree(KB_DIR, copy)
    text = (copy / path).read_text(encoding="utf-8")
    assert text.count(old) == 1
    (copy / path).write_text(text.replace(old, new), encoding="utf-8")
    return laro_kb.load(copy)


def test_the_witnesses_lent_are_the_ones_the_edited_kbs_search_finds(witness_reference, tmp_path):
    edited = _edited(tmp_path, "pathways/colon.dl", "+ exclusion('colon.3', 'prior_larotrectinib')\n", "")
    lent = witness_reference.lend(edited)
    assert "colon.3" not in lent  # its search looked up colon.3's exclusions
    assert len(lent) == len(edited.pathways) - 1
    assert all(witness(edited, pid).case == w.case and tried == 0 for pid, (tried, w) in lent.items())


def test_an_edit_of_a_rule_every_proof_reads_lends_nothing(witness_reference, tmp_path):
    edited = _edited(tmp_path, "logic.dl", "open_(C, P) <= requires(P, K) & case(C) & ~holds(C, K)",
                     "open_(C, P) <= requires(P, K) & case(C) & holds(C, K)")
    assert witness_reference.lend(edited) == {}
