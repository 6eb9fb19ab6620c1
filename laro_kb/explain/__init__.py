"""Why and why not, from derivation traces of the kb's rules.

Owns the meta-interpreter that records proofs (``trace``), the explanation of every candidate pathway and
criterion (``explain``), the smallest documented changes that would approve (``repair``), the re-verification of
every proof (``selfcheck``), and minimal approving cases and near misses (``witness``).

May import: laro_kb.engine, laro_kb.case, laro_kb.knowledge and laro_kb.errors; never a renderer.
"""
