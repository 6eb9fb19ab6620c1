"""Renderings of decisions and explanations: text for people, Markdown, JSON for machines, and the letter.

Owns the text and JSON of a decision and of the pathway list (``decision``, with the decision record's JSON Schema in
``schemas/``), the text tree, Markdown and JSON of an explanation (``explanation``), and the determination letter
(``letter``, laid out by the Jinja2 templates of ``templates/``). Every case-supplied string is escaped in Markdown
and HTML. Renderers read values; they decide nothing. A new output format goes here.

May import: laro_kb.explain (the explanation values), laro_kb.decision, laro_kb.case, laro_kb.knowledge and
laro_kb.errors.
"""
