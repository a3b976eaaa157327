"""Audit events of shadow-AI discovery (documented in ``docs/audit-events.md``).

The trail records changes to the catalogue, each import with its figures, and every service
turned into a use case or a vendor. Who visited what stays in the observations, not the trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class CatalogueLoaded(AuditEvent):
    """The shipped catalogue of AI services was loaded into an empty catalogue: its version and
    the number of services (``new``)."""

    action = "shadow.catalogue_loaded"
    object_type = "shadow_catalogue"


@dataclass(frozen=True, kw_only=True)
class ServiceAdded(AuditEvent):
    """An AI service was added to the catalogue by hand (``new``: its fields)."""

    action = "shadow.service_added"
    object_type = "shadow_service"


@dataclass(frozen=True, kw_only=True)
class ServiceChanged(AuditEvent):
    """A catalogued AI service changed (sanctioned, hosts, category…): the fields before
    (``old``) and after (``new``), and why."""

    action = "shadow.service_changed"
    object_type = "shadow_service"


@dataclass(frozen=True, kw_only=True)
class ServiceRemoved(AuditEvent):
    """An AI service that no import had observed was removed from the catalogue."""

    action = "shadow.service_removed"
    object_type = "shadow_service"


@dataclass(frozen=True, kw_only=True)
class LogImported(AuditEvent):
    """A proxy-log import ended (``new``): file name, format, SHA-256, status (``complete`` or
    ``failed`` with the error in ``reason``), lines, malformed lines, requests, requests to AI
    services, whether it resumed an earlier attempt."""

    action = "shadow.log_imported"
    object_type = "shadow_import"


@dataclass(frozen=True, kw_only=True)
class ServiceAdopted(AuditEvent):
    """A discovered AI service became a use-case idea in the registry or a vendor in the
    inventory (``new``: which, and the figures that justified it)."""

    action = "shadow.service_adopted"
    object_type = "shadow_service"
