"""Tools for criteria authors: is the kb consistent, what do its tests cover, and what does a change move.

Owns the static and semantic checks of ``laro-kb check`` (``check``, ``semantic``, their ``findings``), the
decisions that change between two kb versions (``diff``), the generated docs (``docgen``), and tests written as
data with their coverage and reports (``testing``).

May import: laro_kb.knowledgebase and everything below it. Not laro_kb.cli.
"""
