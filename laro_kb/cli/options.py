"""Options and the kb loader that several commands share."""

from __future__ import annotations

import click

from ..knowledgebase import DEFAULT_ENGINE, ENGINES
from ..knowledgebase import load as _load_kb


def load(kb_dir=None, engine: str = DEFAULT_ENGINE):
    """Load the kb for this command, then take it out of the garbage collector's generations: the process is ours,
    and the kb lives until it ends (gc.freeze makes deciding about 1.5x faster; docs/performance.md)."""
    import gc
    kb = _load_kb(kb_dir, engine=engine)
    gc.freeze()
    return kb


KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False), default=None,
                         help="Knowledge base directory to use instead of the shipped kb/.")
ENGINE_OPTION = click.option("--engine", type=click.Choice(ENGINES), default=DEFAULT_ENGINE, show_default=True,
                             help="The engine that decides: sql (the kb compiled to SQL; SQLite for one case, DuckDB "
                                  "for many) or pydatalog (the reference). Both give the same decisions; "
                                  "explanations always come from pyDatalog's derivation trace.")
