"""The interfaces people and systems use: the ``laro-kb`` command, the reviewer's REPL, and batch.

Owns the click commands (``commands``, and ``laro-kb test`` in ``testrun``), the REPL (``repl``) and batch runs over
JSON Lines or directories with worker processes (``batch``). Each command opens the knowledge base, calls one
method and renders; the library's errors become exit status 2 here, once. `laro-kb serve` runs the HTTP service
of ``laro_kb.service``.

May import: anything in laro_kb. Nothing in laro_kb imports it but ``__main__``.
"""

from .commands import main

__all__ = ["main"]
