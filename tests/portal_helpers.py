"""Driving the portal through its HTML forms, as a browser without JavaScript would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
FORM_ID = re.compile(r'name="form_id" value="([A-Za-z0-9_-]+)"')


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def form_id_of(html: str) -> str:
    found = FORM_ID.search(html)
    assert found, "the page has no form id"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the sign-in page; return the CSRF token for the next forms."""
    page = client.get("/sign-in")
    token = csrf_of(page.text)
    answer = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token, "next": "/me"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return token


def post(client: TestClient, url: str, token: str, **data: str) -> object:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
