"""Property-based tests (hypothesis): random valid cases decide the same everywhere; random junk never crashes.

Cases are drawn from the kb's own vocabulary (every field may be absent), so a change in kb/ changes what is drawn.
The same decision is required from a fresh engine, from a long-lived engine that has decided many other cases,
and from the tracer (an independent evaluator of the same rules).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import laro_kb
from laro_kb.case.model import set_field
from laro_kb.cli.batch import Record, decide_chunk
from laro_kb.errors import CaseError, CaseErrors
from laro_kb.explain.explanation import explain

from .conftest import KB_DIR

KB = laro_kb.load(KB_DIR)  # the vocabulary to draw from, and the long-lived engine
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.filter_too_much])


def value_of(f):
    if f.type == "bool":
        return st.booleans()
    if f.type == "int":
        lo, hi = f.bounds or (0, 100)
        ints = st.integers(lo, hi)
        return ints.map(lambda v: v - v % f.step) if f.step else ints
    if f.type == "term":
        return st.sampled_from([*f.term_names(), "unknown"])
    if f.type == "terms":
        return st.lists(st.sampled_from(f.term_names()), max_size=3)
    if f.type == "code":
        return st.sampled_from(["C34.90", "C15.9", "C49.A", "C80.0", "Z99.9"])
    return st.text(max_size=30).filter(lambda t: t.isprintable())


@st.composite
def valid_cases(draw):
    data: dict = {"id": "p"}
    section = draw(st.sampled_from([*KB.vocabulary.fields["diagnosis.section"].term_names(), None]))
    for name, f in KB.vocabulary.fields.items():
        if name == "diagnosis.subsection":
            subs = [u for u, s in KB.vocabulary.subsection_of.items() if s == section] + ["other"]
            value = draw(st.sampled_from(subs + [None])) if section else None
        elif name == "diagnosis.section":
            value = section
        else:
            value = draw(st.one_of(st.none(), st.none(), value_of(f)))
        if value is not None:
            set_field(data, name, value)
    try:
        return KB.parse_case(data)
    except CaseError as exc:
        assume("contradicts" not in exc.message)  # conflicting facts are refused by design
        raise


@SETTINGS
@given(valid_cases())
def test_a_valid_case_decides_the_same_in_the_long_lived_engine_and_the_tracer(case):
    d = KB.decide(case)
    assert d.outcome in ("approve", "pend", "deny")
    assert (d.outcome == "approve") == bool(d.approved)
    assert (d.outcome == "pend") == (not d.approved and bool(d.pending or d.asks))  # an approval beats a pend
    assert explain(KB, case, changes=False).outcome == d.outcome
    (done,) = decide_chunk(KB, [Record(1, "hypothesis", "1", case.as_dict())], "hypothesis", {}, False, "")
    rec = json.loads(done.line)  # the batch path
    assert (rec["decision"], rec["approved"]) == (d.outcome, [p.id for p in d.approved])
    assert KB.summarize_many([case]) == [d.summary()]
    assert KB.decide_many([case]) == [d]  # set-at-a-time


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(valid_cases())
def test_a_fresh_engine_decides_as_the_long_lived_one(case):
    assert laro_kb.load(KB_DIR).decide(case) == KB.decide(case)


junk = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=10), inner, max_size=3)),
                    max_leaves=8)


@SETTINGS
@given(st.sampled_from(sorted(KB.vocabulary.fields) + ["patient", "diagnosis", "nope", "id"]), junk)
def test_junk_in_any_field_is_a_case_error_or_a_valid_case_never_a_crash(name, value):
    data: dict = {"id": "j"}
    set_field(data, name, value)
    try:
        case = KB.parse_case(data)
    except CaseError as exc:
        assert str(exc)
    else:
        assert KB.decide(case).outcome in ("approve", "pend", "deny")


@SETTINGS
@given(junk)
def test_a_case_that_is_not_a_mapping_is_a_case_error(value):
    if isinstance(value, dict):
        value = [value]
    with pytest.raises(CaseError):
        KB.parse_case(value)


# Pieces of YAML and JSON that have each once ended in a traceback: tags, anchors, odd scalars, huge numbers,
# non-finite floats, surrogates, keys that are not text.
PIECES = ["id: x\n", "patient:\n", "  age: ", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!binary ", "!!set ",
          "!!map ", "!!omap ", "!!python/tuple ", "<<: ", "&a ", "*a ", "? ", ": ", "[", "]", "{", "}", ",", "- ", " ",
          "\n", '"\\ud800"', "2025-13-45", "2025-01-01", "1e999", ".inf", ".nan", "0b", "9" * 5000, "1:20:30", "~",
          "NaN", "-Infinity", "---\n", '{"id": "j", ', '"patient": {"age": ', '"patient.age": 5, ', "diagnosis:\n",
          "  section: nsclc\n", "history: {progressed_on: [", "\t", "#", "|\n  ", "\ufeff"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12), st.sampled_from([".yaml", ".json"]))
def test_any_case_file_is_read_as_a_case_or_a_case_error_never_a_crash(pieces, suffix):
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"case{suffix}"
        path.write_text("".join(pieces), encoding="utf-8", errors="surrogatepass")
        try:
            case = KB.read_case(path)
        except CaseError as exc:
            lines = str(exc).split("\n")  # one line per problem (CaseErrors gathers every problem of a case)
            assert str(exc).encode("utf-8") and all(lines) and (isinstance(exc, CaseErrors) or len(lines) == 1)
        else:
            assert case.id.encode("utf-8")  # printable: no lone surrogate
