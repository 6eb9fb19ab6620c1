"""Thread model: a KnowledgeBase may be shared by threads (its calls run one at a time), or each thread may load
its own. Either way, deciding from several threads at once gives the answers of deciding one after another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import laro_kb
from laro_kb.author.testing.cases import load_tests

from .conftest import CASES, KB_DIR

SAMPLE = [t for path in sorted(CASES.glob("*.yaml"))[:10] for t in load_tests(path)][:120]


def test_threads_sharing_one_kb_decide_as_one_thread_does(kb):
    cases = [kb.parse_case(t.case) for t in SAMPLE]
    sequential = [kb.decide(c) for c in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(kb.decide, cases))
        explained = list(pool.map(lambda c: kb.explain(c, changes=False).outcome, cases))
    assert parallel == sequential
    assert explained == [d.outcome for d in sequential]


def test_threads_with_a_kb_each_decide_as_one_thread_does(kb):
    cases = [kb.parse_case(t.case) for t in SAMPLE[:40]]
    sequential = [kb.decide(c).outcome for c in cases]

    def work(chunk):
        own = laro_kb.load(KB_DIR)  # pyDatalog state is per thread: this engine is this thread's alone
        return [own.decide(c).outcome for c in chunk]

    chunks = [cases[i::3] for i in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(work, chunks))
    merged = [None] * len(cases)
    for i, chunk in enumerate(results):
        merged[i::3] = chunk
    assert merged == sequential
