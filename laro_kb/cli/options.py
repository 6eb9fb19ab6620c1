"""Options and the kb loader that several commands share."""

from __future__ import annotations

import click

from pathlib import Path

from ..errors import LaroError
from ..knowledge.files import default_kb_dir, kb_files
from ..knowledgebase import DEFAULT_ENGINE, ENGINES, kb_version
from ..knowledgebase import load as _load_kb


def load(kb_dir=None, engine: str = DEFAULT_ENGINE):
    """Load the kb for this command, then take it out of the garbage collector's generations: the process is ours,
    and the kb lives until it ends (gc.freeze makes deciding about 1.5x faster; docs/performance.md). A process that
    runs several commands (click's test runner, a program calling ``main``) loads a kb directory once for as long as
    its files are the same: the kb's version is the hash of their bytes, and a loaded kb never changes."""
    import gc
    try:
        directory = Path(kb_dir) if kb_dir is not None else default_kb_dir()
        key = (str(directory.resolve()), engine, kb_version(kb_files(directory)))
    except (LaroError, OSError):  # not a kb directory: loading it says why
        key = None
    kb = _LOADED.pop(key, None) if key is not None else None
    if kb is None:
        kb = _load_kb(kb_dir, engine=engine)
        gc.freeze()
    if key is not None:
        _LOADED[key] = kb  # the most recently used last
        while len(_LOADED) > MAX_LOADED:
            del _LOADED[next(iter(_LOADED))]
    return kb


MAX_LOADED = 4  # kbs kept loaded for the commands that follow in the same process
_LOADED: dict[tuple, object] = {}  # (directory, engine, version) -> the loaded kb


KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False), default=None,
                         help="Knowledge base directory to use instead of the shipped kb/.")
ENGINE_OPTION = click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE, show_default=True,
                             help="The engine that decides: sql (the kb compiled to SQL; SQLite for one case, DuckDB "
                                  "for many) or pydatalog (the reference). Both give the same decisions; "
                                  "explanations always come from pyDatalog's derivation trace.")
