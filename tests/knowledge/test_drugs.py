"""The drug table of kb/drugs.dl, read through the vocabulary: names, brands, regimens and RxNorm codes."""

from __future__ import annotations

import shutil

import pytest

import laro_kb
from laro_kb.errors import KBError
from tests.conftest import KB_DIR


@pytest.mark.parametrize("written, name, classes", [
    ("pembrolizumab", "pembrolizumab", ("checkpoint_inhibitor",)),
    ("Pembrolizumab", "pembrolizumab", ("checkpoint_inhibitor",)),
    ("KEYTRUDA", "pembrolizumab", ("checkpoint_inhibitor",)),
    ("carboplatin", "carboplatin", ("platinum_chemotherapy",)),
    ("5-FU", "fluorouracil", ("chemotherapy",)),
    ("FOLFOX", "folfox", ("platinum_chemotherapy",)),  # a platinum regimen: the most specific class of its drugs
    ("FOLFIRI", "folfiri", ("chemotherapy",)),
    ("XELOX", "capox", ("platinum_chemotherapy",)),
    ("carboplatin/paclitaxel", "carboplatin/paclitaxel", ("platinum_chemotherapy",)),
    ("Vitrakvi", "larotrectinib", ("larotrectinib",)),
    ("entrectinib", "entrectinib", ("entrectinib",)),
])
def test_a_drug_brand_or_regimen_name_stands_for_its_therapy_classes(kb, written, name, classes):
    therapy = kb.vocabulary.therapy(written)
    assert (therapy.name, therapy.classes) == (name, classes)


def test_a_regimen_lists_its_drugs(kb):
    assert kb.vocabulary.therapy("FOLFOX").components == ("fluorouracil", "leucovorin", "oxaliplatin")


def test_a_combination_of_known_drugs_stands_for_all_their_classes(kb):
    therapy = kb.vocabulary.therapy("Paclitaxel + carboplatin + pembrolizumab")
    assert therapy.classes == ("checkpoint_inhibitor", "platinum_chemotherapy")
    assert therapy.components == ("paclitaxel", "carboplatin", "pembrolizumab")


@pytest.mark.parametrize("written", ["aspirin", "carboplatin/aspirin", "", "chemotherapy", "x" * 300])
def test_a_name_the_table_does_not_hold_stands_for_nothing(kb, written):
    assert kb.vocabulary.therapy(written) is None


def test_a_drug_is_found_by_its_rxnorm_ingredient_code(kb):
    assert kb.vocabulary.therapy_by_rxcui("1547545").name == "pembrolizumab"
    assert kb.vocabulary.therapy_by_rxcui(32592).name == "oxaliplatin"
    assert kb.vocabulary.therapy_by_rxcui("999999999") is None
    assert kb.vocabulary.therapy("pembrolizumab").rxcui == "1547545"


def test_every_class_of_the_table_is_a_therapy_term_of_the_history_fields(kb):
    terms = set(kb.vocabulary.fields["history.progressed_on"].term_names())
    assert {c for t in kb.vocabulary.therapies.values() for c in t.classes} <= terms


@pytest.mark.parametrize("fact, words", [
    ("+ drug('aspirin', 'painkiller')", "not a therapy term"),
    ("+ component('folfox', 'aspirin')", "not a drug of the table"),
    ("+ brand('keytruda', 'nivolumab')", "stands for both"),
    ("+ rxnorm('atezolizumab', '1547545')", "given for both"),
    ("+ rxnorm('nivolumab', '1')", "two RxCUIs"),
    ("+ rxnorm('aspirin', '1191')", "not a drug of the table"),
])
def test_a_drug_table_that_contradicts_itself_or_the_vocabulary_is_refused(tmp_path, fact, words):
    draft = tmp_path / "kb"
    shutil.copytree(KB_DIR, draft)
    with (draft / "drugs.dl").open("a", encoding="utf-8") as f:
        f.write(fact + "\n")
    with pytest.raises(KBError) as info:
        laro_kb.load(draft)
    assert words in str(info.value)
