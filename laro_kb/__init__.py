"""laro-kb: the Larotrectinib (Vitrakvi) v1.0 medical policy as a Datalog knowledge base.

>>> import laro_kb
>>> kb = laro_kb.load()
>>> decision = kb.decide("examples/nsclc-first-line.json")
"""

__version__ = "0.1.0"

from .case.model import Case  # noqa: E402
from .decision import CriterionStatus, Decision, PathwayResult  # noqa: E402
from .errors import CaseError, KBError, LaroError  # noqa: E402
from .knowledgebase import KnowledgeBase, load  # noqa: E402

__all__ = ["load", "KnowledgeBase", "Case", "Decision", "PathwayResult", "CriterionStatus", "LaroError",
           "CaseError", "KBError", "__version__"]
