"""Generated cases: realistic patient cases drawn from the kb itself, for differential tests and benchmarks.

Each case starts from the minimal approving case of a pathway chosen at random (its witness,
:mod:`laro_kb.explain.witness`); then each documented field is, by chance, dropped (undocumented), or set to
another valid value of its field (a term, the other boolean, a whole number within its bounds). A few cases are made
invalid on purpose (an impossible age), as real input has some. Everything is read from the kb's vocabulary and
pathways, so a change in kb/ changes what is drawn; the same seed draws the same cases.
"""

from __future__ import annotations

import copy
import random

from ..explain.witness import witness


def generated_cases(kb, n: int, seed: int, *, drop: float = 0.12, change: float = 0.10, invalid: float = 0.05,
                    keep: tuple[str, ...] = ()) -> list[dict]:
    """``n`` case mappings (the case-file form), drawn with ``seed``; fields in ``keep`` are never dropped."""
    rng = random.Random(seed)
    witnesses = {pid: witness(kb, pid).case for pid in sorted(kb.pathways)}
    bases = [case.as_dict() for _, case in sorted(witnesses.items()) if case is not None]
    fields = kb.vocabulary.fields
    out = []
    for i in range(n):
        data = copy.deepcopy(rng.choice(bases))
        data["id"] = f"gen-{seed}-{i}"
        for group, leaf in [(g, k) for g, v in data.items() if isinstance(v, dict) for k in v]:
            name, r = f"{group}.{leaf}", rng.random()
            if r < drop and name not in keep:
                del data[group][leaf]
            elif r < drop + change and name in fields:
                data[group][leaf] = _other_value(rng, fields[name], data[group][leaf])
        if rng.random() < invalid:
            data.setdefault("patient", {})["age"] = rng.choice([-1, 200, "sixty"])
        out.append(data)
    return out


def _other_value(rng: random.Random, f, value):
    if f.type == "bool":
        return not value
    if f.type == "term" and f.terms:
        return rng.choice(f.term_names())
    if f.type == "int" and f.bounds:
        step = f.step or 1
        return rng.randint(*f.bounds) // step * step
    return value
