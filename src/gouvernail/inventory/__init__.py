"""The model and vendor inventory: what the gateway may route to, and on which terms.

Public: the service (``Inventory``, as ``runtime.inventory``), the declarations it accepts
(``VendorSpec``, ``GuaranteeSpec``, ``ModelSpec`` and their parts), the views it returns
(``VendorView``, ``GuaranteeView``, ``ModelView``, ``ReviewItem``), the gateway's
``RoutableModel``, and the comparison's request and result.
"""

from gouvernail.charter.rules import Hosting
from gouvernail.inventory.comparison import CostEstimate, EnergyEstimate, Volume
from gouvernail.inventory.routing import RoutableModel
from gouvernail.inventory.service import Inventory
from gouvernail.inventory.sidebyside import CompareRequest, Comparison, ModelComparison
from gouvernail.inventory.transfer import EntryError, ImportRejectedError, ImportReport
from gouvernail.inventory.values import (
    Capability,
    Endpoint,
    Energy,
    FlatRatePricing,
    GuaranteeKind,
    GuaranteeSpec,
    Infrastructure,
    LockIn,
    ModelSpec,
    ModelStatus,
    PerTokenPricing,
    ProviderKind,
    ReviewOutcome,
    VendorSpec,
)
from gouvernail.inventory.views import GuaranteeView, ModelView, ReviewItem, VendorView

__all__ = [
    "Capability",
    "CompareRequest",
    "Comparison",
    "CostEstimate",
    "Endpoint",
    "Energy",
    "EnergyEstimate",
    "EntryError",
    "FlatRatePricing",
    "GuaranteeKind",
    "GuaranteeSpec",
    "GuaranteeView",
    "Hosting",
    "ImportRejectedError",
    "ImportReport",
    "Infrastructure",
    "Inventory",
    "LockIn",
    "ModelComparison",
    "ModelSpec",
    "ModelStatus",
    "ModelView",
    "PerTokenPricing",
    "ProviderKind",
    "ReviewItem",
    "ReviewOutcome",
    "RoutableModel",
    "VendorSpec",
    "VendorView",
    "Volume",
]
