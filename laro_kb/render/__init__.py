"""Renderings of decisions and explanations: text for people, Markdown, and JSON for machines.

Owns the text and JSON of a decision and of the pathway list (``decision``), and the text tree, Markdown and JSON
of an explanation (``explanation``). Every case-supplied string is escaped in Markdown. Renderers read values;
they decide nothing. A new output format goes here.

May import: laro_kb.explain (the explanation values), laro_kb.decision, laro_kb.case, laro_kb.knowledge and
laro_kb.errors.
"""
