"""Shared fixtures: a fresh pyDatalog state per test, and the shipped kb loaded once per session."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from pyDatalog.Logic import Logic

import laro_kb

# every decision of the suite is stamped at this time (decided_at), in this process, its subprocesses and batch
# workers alike, so that whole outputs and golden files are deterministic; tests/test_audit.py tests the real clock
DECIDED_AT = "2026-01-01T00:00:00Z"
os.environ["LARO_KB_DECIDED_AT"] = DECIDED_AT

# what a load derives from a kb's files is kept between processes (laro_kb/engine/cache.py): in this run's own
# directory, shared by its workers and subprocesses and removed at its end, never in the user's cache
if not os.environ.get("LARO_KB_TEST_CACHE"):
    os.environ["LARO_KB_TEST_CACHE"] = os.environ["LARO_KB_CACHE_DIR"] = tempfile.mkdtemp(prefix="laro-kb-cache-")
    atexit.register(shutil.rmtree, os.environ["LARO_KB_TEST_CACHE"], True)

# the collector's full passes over the session's long-lived kbs were a fifth of the seeded mutants' CPU time (each
# mutant loads a kb: many young objects, few cycles); collect young objects less often and the whole heap rarely
gc.set_threshold(5000, 20, 100)

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "kb"
EXAMPLES = ROOT / "examples"
CASES = Path(__file__).resolve().parent / "cases"


@pytest.fixture(autouse=True)
def _isolated_engine_state():
    """pyDatalog keeps a per-thread 'current logic': give each test a clean one, and restore it after."""
    saved = getattr(Logic.tl, "logic", None)
    Logic()
    yield
    if saved is not None:
        Logic.tl.logic = saved


@pytest.fixture(scope="session")
def kb():
    """The shipped knowledge base (loaded once; every decision retracts its own facts)."""
    loaded = laro_kb.load(KB_DIR)
    loaded.program  # the tracer's index, built once
    gc.freeze()  # the kb lives for the whole session: keep the collector from rescanning it
    return loaded


@pytest.fixture
def fresh_kb():
    """A knowledge base loaded anew for this test only."""
    return laro_kb.load(KB_DIR)

GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output instead of comparing")


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/NAME (normalised line ends); --regen-golden rewrites the file."""
    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        text = text.replace("\r\n", "\n")
        if request.config.getoption("--regen-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}: run pytest --regen-golden"
        assert text == path.read_text(encoding="utf-8")
    return check


@pytest.fixture(scope="session")
def outcome_of(kb):
    """Run a tests/cases test once per session: the decision tests and the coverage test share the results."""
    from laro_kb.author.testing.cases import run_test

    cache: dict = {}

    def get(test):
        key = (test.file, test.index)
        if key not in cache:
            cache[key] = run_test(kb, test)
        return cache[key]
    return get
