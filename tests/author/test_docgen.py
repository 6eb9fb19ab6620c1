"""Generated docs are current: docs/pathways.md, docs/vocabulary.md and docs/case.schema.json match the kb."""

from __future__ import annotations

from laro_kb.author.docgen import generated

from ..conftest import ROOT


def test_generated_docs_are_up_to_date(kb):
    for name, text in generated(kb).items():
        path = ROOT / "docs" / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, \
            f"docs/{name} is out of date: run python -m laro_kb.author.docgen"
