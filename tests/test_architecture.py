"""The package layout is a checked contract (docs/architecture.md): layers, no circles, rooms by concern.

`lint-imports` (import-linter, configured in setup.cfg) checks the layers and the absence of import circles. These
tests run it on the package, and on copies of it with one wrong import added, so that the contract is shown to
catch what it claims to catch.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "laro_kb"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache", "--config", "setup.cfg"], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def subpackages() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE)


def test_the_shipped_package_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def package_copy(tmp_path):
    """A copy of laro_kb/ and setup.cfg, to break on purpose; lint-imports analyses the copy (its working dir)."""
    shutil.copytree(PACKAGE, tmp_path / "laro_kb", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tmp_path)
    return tmp_path


def add_import(package: Path, module: str, line: str) -> None:
    path = package / "laro_kb" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")


BREAKS = {
    # the Decision value importing its own renderer: the tangle the layout removed
    "an import up a layer": ("decision.py", "from .render.decision import decision_text",
                             "laro_kb.decision is not allowed to import laro_kb.render"),
    "an import between the independent rooms of one layer": ("engine/pydatalog.py", "from ..decision import Decision",
                                                              "laro_kb.engine is not allowed to import laro_kb.decision"),
    # explanation imports trace; trace importing explanation back closes a circle within one layer
    "an import circle inside a subpackage": ("explain/trace.py", "from . import explanation",
                                             "No cycles are allowed in laro_kb.explain"),
}


@pytest.mark.parametrize("wrong", BREAKS)
def test_a_wrong_import_breaks_the_contract(package_copy, wrong):
    module, line, message = BREAKS[wrong]
    add_import(package_copy, module, line)
    result = lint_imports(package_copy)
    assert result.returncode == 1
    assert message in result.stdout


def test_a_new_subpackage_outside_the_declared_layers_breaks_the_contract(package_copy):
    room = package_copy / "laro_kb" / "webhooks"
    room.mkdir()
    (room / "__init__.py").write_text('"""Webhooks: a room not yet given a layer."""\n')
    result = lint_imports(package_copy)
    assert result.returncode == 1
    assert "webhooks" in result.stdout


def test_the_package_is_a_few_loose_modules_and_subpackages_by_concern():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    top = [p for p in subpackages() if p.parent == PACKAGE]
    assert len(loose) <= 4, loose
    assert len(top) >= 5, top


@pytest.mark.parametrize("package", subpackages(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_every_subpackage_says_what_it_owns(package):
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 80, f"{package.relative_to(ROOT)}/__init__.py needs a docstring: what it owns"
    if package.parent == PACKAGE:
        assert "May import" in doc, "a top-level subpackage's docstring says what it may import"


def test_the_tests_mirror_the_subpackages():
    for package in subpackages():
        if package.parent == PACKAGE:
            mirror = ROOT / "tests" / package.name
            assert (mirror / "__init__.py").exists() and list(mirror.glob("test_*.py")), \
                f"tests/{package.name}/ should hold the tests of laro_kb/{package.name}/"


def test_architecture_md_names_every_top_level_subpackage():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for package in subpackages():
        if package.parent == PACKAGE:
            assert f"`{package.name}/`" in text, f"docs/architecture.md says nothing of laro_kb/{package.name}/"
