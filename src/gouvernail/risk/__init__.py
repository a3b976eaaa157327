"""The risk register of use cases, its scoring rule, the library of common AI risks, the GxP
view (FDA model risk, draft EU GMP Annex 22) and the approval gate's risk prerequisites.

Public interface: ``Risks`` (``runtime.risks``), ``missing_for_approval`` (the gate), the
scoring rule in ``scoring``, and the tables ``Risk`` and ``GxpAssessment``.
"""

from gouvernail.risk.gate import missing_for_approval
from gouvernail.risk.gxp import GxpRules
from gouvernail.risk.library import RiskLibrary
from gouvernail.risk.models import Category, GxpAssessment, Risk, RiskStatus
from gouvernail.risk.scoring import Level, Rating
from gouvernail.risk.service import Risks

__all__ = [
    "Category",
    "GxpAssessment",
    "GxpRules",
    "Level",
    "Rating",
    "Risk",
    "RiskLibrary",
    "RiskStatus",
    "Risks",
    "missing_for_approval",
]
