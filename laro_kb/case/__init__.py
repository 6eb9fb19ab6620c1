"""Patient cases: read from files, validated against the kb's vocabulary, and held as immutable values.

Owns the :class:`~laro_kb.case.model.Case` value and the facts it asserts (``model``), reading JSON and YAML files
within bounds (``files``), validation that names the file, the record and the field (``parse``), and the nearest
valid term for a "did you mean" (``suggest``). Other input formats (FHIR) belong here too.

May import: laro_kb.knowledge (the vocabulary) and laro_kb.errors.
"""
