"""Every docs/ page that a kb file or a module of the package points its reader to exists, and every section of
docs/policy-notes.md that a kb comment names (docs/policy-notes.md, "Heading") is a heading of that page."""

from __future__ import annotations

import re

from .conftest import KB_DIR, ROOT

PAGE = re.compile(r"(?<![\w/_.-])docs/[\w./-]*\w")  # a path of this repository, not of a URL
SECTION = re.compile(r'docs/policy-notes\.md, "([^"]+)"')


def sources():
    yield from sorted(KB_DIR.rglob("*.dl"))
    yield from sorted((ROOT / "laro_kb").rglob("*.py"))


def test_every_docs_page_the_kb_and_the_code_point_to_exists():
    missing = [f"{path.relative_to(ROOT)}: {page}" for path in sources()
               for page in PAGE.findall(path.read_text(encoding="utf-8"))
               if not (ROOT / page).exists() and not (ROOT / page).with_suffix(".md").exists()]
    assert missing == []


def test_every_policy_notes_section_the_kb_names_is_a_heading_there():
    headings = set(re.findall(r"^#+ (.+)$", (ROOT / "docs" / "policy-notes.md").read_text(encoding="utf-8"), re.M))
    named = {(path.name, s) for path in sorted(KB_DIR.rglob("*.dl"))
             for s in SECTION.findall(path.read_text(encoding="utf-8"))}
    assert len(named) >= 20  # the sections' files point to their readings
    assert sorted(n for n in named if n[1] not in headings) == []
