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
        explained = list(pool.map(lambda c: kb.explain(c, changes=False).outcome, cases[::4]))  # 40 ms each
    assert parallel == sequential
    assert explained == [d.outcome for d in sequential[::4]]


def test_threads_with_a_kb_each_decide_as_one_thread_does(kb):
    cases = [kb.parse_case(t.case) for t in SAMPLE[:24]]
    sequential = [kb.decide(c).outcome for c in cases]

    def work(chunk):
        own = laro_kb.load(KB_DIR, engine="pydatalog")  # pyDatalog state is per thread: this engine is this thread's
        return [own.decide(c).outcome for c in chunk]

    chunks = [cases[i::2] for i in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(work, chunks))
    merged = [None] * len(cases)
    for i, chunk in enumerate(results):
        merged[i::2] = chunk
    assert merged == sequential


def test_threads_first_asking_a_kb_started_from_its_cache_build_pydatalog_once(kb, tmp_path, monkeypatch):
    laro_kb.load(KB_DIR, cache=tmp_path)  # derives the kb and writes its cache entry
    started = laro_kb.load(KB_DIR, cache=tmp_path)
    assert started._engine is None  # decided from the entry; pyDatalog is built for the first trace
    builds = []
    build = laro_kb.KnowledgeBase._build
    monkeypatch.setattr(laro_kb.KnowledgeBase, "_build", lambda self: builds.append(1) or build(self))
    cases = [kb.parse_case(t.case) for t in SAMPLE[:8]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        explained = list(pool.map(lambda c: started.explain(c, changes=False).outcome, cases))
    assert builds == [1]
    assert explained == [kb.decide(c).outcome for c in cases]
