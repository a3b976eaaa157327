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
    Section("audit", N_("Audit"), "/audit", "audit:read"),
    Section("admin", N_("Administration"), "/admin", "users:read"),
)


def sections(permissions: set[str]) -> list[Section]:
    """The sections a holder of ``permissions`` may open."""
    return [s for s in SECTIONS if s.right is None or s.right in permissions]
