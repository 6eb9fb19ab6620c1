"""Engines that evaluate the kb's Datalog: pyDatalog, the reference, and what is compiled for it.

Owns the pyDatalog engine driven through its term API, never its text API (``pydatalog``), the dependency analysis
that materialises static predicates at load time (``materialize``), and the decision program that specialises
kb/logic.dl to the loaded criteria (``decision_program``); the same rules compiled to SQL (``sql``) and run in SQLite
or DuckDB (``sqlengine``); and the cache of what a load derives, kept on disk between processes (``cache``).

May import: laro_kb.knowledge and laro_kb.errors. Not laro_kb.case: engines take facts as tuples.
"""
