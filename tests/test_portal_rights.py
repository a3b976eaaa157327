"""Every role sees in the menu exactly the sections the policy lets it open, and every other
section answers 403: the portal's rights are the policy's, role by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.portal_helpers import sign_in

from gouvernail.identity.models import Role
from gouvernail.portal.navigation import SECTIONS
from gouvernail.runtime import Runtime

ROLES = [role.value for role in Role if role is not Role.EMPLOYEE]


@pytest.mark.parametrize("role", ["employee", *ROLES])
def test_each_role_opens_what_the_policy_allows_and_nothing_else(
    client: TestClient, rt: Runtime, make_user: Callable[..., int], role: str
) -> None:
    make_user("someone", *([] if role == "employee" else [role]))
    sign_in(client, "someone")
    granted = set(rt.policy.permissions([] if role == "employee" else [role]))
    menu = client.get("/me").text
    for section in SECTIONS:
        allowed = section.right is None or section.right in granted
        answer = client.get(section.href)
        assert answer.status_code == (200 if allowed else 403), (role, section.href)
        assert (f'href="{section.href}"' in menu) is allowed, (role, section.href)
