"""Tests as data: decision tests named as sentences, run against a kb, with the coverage they reach.

Owns the test file format and its comparison (``cases``), the runner (``run``), the coverage of pathways,
criteria, exclusions and thresholds (``coverage``), and the pytest-like report (``report``).
"""
