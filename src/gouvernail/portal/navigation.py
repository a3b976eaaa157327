"""The portal's sections and the right each needs: the menu shows only what the user's roles
allow, and each page declares the same right on its route (``PageRequire``)."""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    href: str
    right: str | None  # "resource:action", None for every signed-in user


SECTIONS = (
    Section("access", N_("My AI access"), "/me", None),
    Section("idea", N_("Submit an idea"), "/ideas/new", "use_cases:submit"),
    Section("catalogue", N_("Catalogue"), "/catalogue", "use_cases:read"),
    Section("committee", N_("Committee"), "/committee", "committee:read"),
    Section("observatory", N_("Observatory"), "/observatory", "gateway:read"),
    Section("inventory", N_("Inventory"), "/inventory", "inventory:read"),
    Section("playground", N_("Playground"), "/playground", "keys:manage_own"),
    Section("agents", N_("Agents"), "/agents", None),  # lists only the agents one may read
    Section("audit", N_("Audit"), "/audit", "audit:read"),
    Section("admin", N_("Administration"), "/admin", "users:read"),
)


def sections(permissions: set[str]) -> list[Section]:
    """The sections a holder of ``permissions`` may open."""
    return [s for s in SECTIONS if s.right is None or s.right in permissions]


@dataclass(frozen=True)
class Tab:
    """A page of the observatory, shown as a tab to whoever holds one of ``rights`` (the
    rights its route declares)."""

    key: str
    label: str
    href: str
    rights: tuple[tuple[str, str], ...]


GATEWAY_TAB = Tab("gateway", N_("Through the gateway"), "/observatory", (("gateway", "read"),))
SHADOW_TAB = Tab("shadow", N_("Shadow AI"), "/observatory/shadow-ai", (("shadow", "read"),))
QUALITY_TAB = Tab(
    "quality",
    N_("Quality"),
    "/observatory/quality",
    (("error_rates", "read"), ("evaluations", "read"), ("canaries", "read"), ("incidents", "read")),
)
VALUE_TAB = Tab(
    "value",
    N_("Value and environment"),
    "/observatory/value",
    (("value", "read"), ("environment", "read")),
)
LICENCES_TAB = Tab("licences", N_("Licences"), "/observatory/licences", (("licences", "read"),))
OBSERVATORY_TABS = (GATEWAY_TAB, SHADOW_TAB, QUALITY_TAB, VALUE_TAB, LICENCES_TAB)


def tabs(permissions: set[str]) -> list[Tab]:
    """The observatory's tabs a holder of ``permissions`` may open."""
    return [
        tab
        for tab in OBSERVATORY_TABS
        if any(f"{resource}:{action}" in permissions for resource, action in tab.rights)
    ]
