"""Imports every table module so that the metadata is complete (for Alembic and tests)."""

from gouvernail.audit import models as audit_models
from gouvernail.charter import models as charter_models
from gouvernail.db.base import Base
from gouvernail.identity import models as identity_models
from gouvernail.signatures import models as signature_models

metadata = Base.metadata

__all__ = ["audit_models", "charter_models", "identity_models", "metadata", "signature_models"]
