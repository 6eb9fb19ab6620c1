"""Packaging: the wheel carries every module of laro_kb/, the letter's templates and the decision schema, kb/ (with
its policy text) inside the package, and the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from .conftest import KB_DIR, ROOT


def test_the_wheel_ships_every_module_every_kb_file_and_the_console_script(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("laro_kb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    kb_files = {f"laro_kb/kb/{p.relative_to(KB_DIR).as_posix()}" for p in KB_DIR.rglob("*.dl")}
    assert kb_files and kb_files <= names
    policy = {f"laro_kb/kb/{p.relative_to(KB_DIR).as_posix()}" for p in KB_DIR.glob("policy/*.txt")}
    assert policy and policy <= names  # the policy text that laro-kb check compares the kb with
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "laro_kb").rglob("*.py")}
    assert len(modules) > 30 and sorted(modules - names) == []
    data = {p.relative_to(ROOT).as_posix() for folder in ("templates", "schemas")
            for p in (ROOT / "laro_kb" / "render" / folder).iterdir()}
    assert {"laro_kb/render/templates/letter.md.j2", "laro_kb/render/schemas/decision.schema.json"} <= data <= names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "laro-kb = laro_kb.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
