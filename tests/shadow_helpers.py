"""Shadow-AI test helpers: a small company with departments and the roles that see shadow AI,
and Squid's native log lines."""

from __future__ import annotations

from collections.abc import Callable

from gouvernail.audit import AuditContext
from gouvernail.runtime import Runtime


def make_company(rt: Runtime, ctx: AuditContext, make_user: Callable[..., int]) -> dict[str, int]:
    """Two departments; alice (R&D, logged by e-mail), bob (Finance, by user name), a security
    referent, an AI referent, an auditor, a committee member and an employee."""
    rt.directory.create_team(ctx, slug="rd", name="R&D", kind="department")
    rt.directory.create_team(ctx, slug="chem", name="Chemistry", kind="team", parent="rd")
    rt.directory.create_team(ctx, slug="fin", name="Finance", kind="department")
    return {
        "alice": make_user("alice", email="alice@helvia.example", team="chem"),
        "bob": make_user("bob", team="fin"),
        "sec": make_user("sec", "security_referent"),
        "ref": make_user("ref", "ai_referent"),
        "aud": make_user("aud", "auditor"),
        "board": make_user("board", "committee_member"),
        "emp": make_user("emp"),
    }


def squid(seconds: float, user: str, method: str, url: str, size: int = 1000) -> str:
    """One line of Squid's native access.log."""
    status = "TCP_TUNNEL/200" if method == "CONNECT" else "TCP_MISS/200"
    return f"{seconds:.3f} {120:6d} 10.0.0.7 {status} {size} {method} {url} {user} DIRECT/1.2.3.4 -"
