"""Imports every table module so that the metadata is complete (for Alembic and tests)."""

from gouvernail.agents import models as agent_models
from gouvernail.audit import models as audit_models
from gouvernail.charter import models as charter_models
from gouvernail.committee import models as committee_models
from gouvernail.db.base import Base
from gouvernail.gateway import models as gateway_models
from gouvernail.identity import models as identity_models
from gouvernail.insight import models as insight_models
from gouvernail.inventory import models as inventory_models
from gouvernail.jobs import models as job_models
from gouvernail.literacy import models as literacy_models
from gouvernail.observatory.alerts import models as alert_models
from gouvernail.observatory.bias import models as bias_models
from gouvernail.observatory.canaries import models as canary_models
from gouvernail.observatory.evaluations import models as evaluation_models
from gouvernail.observatory.feedback import models as feedback_models
from gouvernail.observatory.incidents import models as incident_models
from gouvernail.observatory.licences import models as licence_models
from gouvernail.observatory.shadow import models as shadow_models
from gouvernail.observatory.value import models as value_models
from gouvernail.portal import models as portal_models
from gouvernail.registry import models as registry_models
from gouvernail.registry import prompt_labels as prompt_label_models
from gouvernail.risk import models as risk_models
from gouvernail.signatures import models as signature_models

metadata = Base.metadata

__all__ = [
    "agent_models",
    "alert_models",
    "audit_models",
    "bias_models",
    "canary_models",
    "charter_models",
    "committee_models",
    "evaluation_models",
    "feedback_models",
    "gateway_models",
    "identity_models",
    "incident_models",
    "insight_models",
    "inventory_models",
    "job_models",
    "licence_models",
    "literacy_models",
    "metadata",
    "portal_models",
    "prompt_label_models",
    "registry_models",
    "risk_models",
    "shadow_models",
    "signature_models",
    "value_models",
]
