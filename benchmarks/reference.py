"""A reference evaluator in plain Python over the kb's own facts: a speed limit and a differential oracle.

It reads the criteria (is_, at_least, ..., any_, all_, not_), the pathway links, the term hierarchy and the section
index from a loaded kb, and evaluates them with Kleene's three-valued logic directly in Python. It is NOT used to
decide anything: benchmarks/bench_batch.py compares its decisions with the engine's on every generated case.
"""

from __future__ import annotations

OPS = {"at_least": lambda x, b: x >= b, "more_than": lambda x, b: x > b,
       "at_most": lambda x, b: x <= b, "less_than": lambda x, b: x < b}


class Reference:
    def __init__(self, kb):
        self.kb = kb
        self.criteria = kb.criteria
        self.up: dict[str, set] = {}
        for x, y in kb.engine.ask("kind_of", None, None):
            self.up.setdefault(x, set()).add(y)
        self.requires: dict[str, list] = {}
        self.excludes: dict[str, list] = {}
        for (p, k), dim in kb.links.items():
            (self.excludes if dim == "exclusion" else self.requires).setdefault(p, []).append(k)
        self.indication = {}
        for p, k in kb.engine.ask("indication", None, None):
            self.indication.setdefault(p, []).append(k)
        self.sub_indication = {}
        for p, u in kb.engine.ask("subsection", None, None):
            self.sub_indication[p] = [k for uu, k in kb.engine.ask("subsection_indication", u, None)]
        self.general = {s for (s,) in kb.engine.ask("general_section", None)}
        self.named = {s for s, _ in kb.engine.ask("section_indication", None, None)}

    def status(self, values: dict, k: str):
        """True (met), False (not met) or None (unknown)."""
        c = self.criteria[k]
        if c.form == "is_":
            if c.field not in values:
                return None
            v = values[c.field]
            have = v if isinstance(v, tuple) else (v,)
            return any(h == t or t in self.up.get(h, ()) for h in have for t in c.values
                       if type(h) is type(t))
        if c.form in OPS:
            return None if c.field not in values else OPS[c.form](values[c.field], c.values[0])
        parts = [self.status(values, p) for p in c.parts]
        if c.form == "not_":
            return None if parts[0] is None else not parts[0]
        if c.form == "any_":
            return True if True in parts else (False if all(p is False for p in parts) else None)
        return False if False in parts else (True if all(p is True for p in parts) else None)

    def decide(self, case) -> tuple[str, dict]:
        values = dict(case.values)
        section = values.get("diagnosis.section")
        verdicts = {}
        for pid, p in self.kb.pathways.items():
            if p.section in self.general:
                pass
            elif section is not None:
                if p.section != section or any(self.status(values, k) is False
                                               for k in self.sub_indication.get(pid, ())):
                    continue
            elif p.section not in self.named or any(self.status(values, k) is False
                                                    for k in self.indication.get(pid, ())):
                continue
            req = [self.status(values, k) for k in self.requires.get(pid, ())]
            exc = [self.status(values, k) for k in self.excludes.get(pid, ())]
            if False in req or True in exc:
                verdicts[pid] = "denied"
            elif all(r is True for r in req) and all(e is False for e in exc):
                verdicts[pid] = "approved"
            else:
                verdicts[pid] = "pending"
        vs = set(verdicts.values())
        outcome = "approve" if "approved" in vs else "pend" if "pending" in vs else "deny"
        return outcome, verdicts
