"""Insight test helpers: a fake answering model that quotes its best passage, sources created
and synced through the API, questions asked through the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.conftest import PASSWORD

PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)


def extractive(request_text: str) -> str:
    """The first sentence of the first passage sharing a word of five letters or more with
    the question, citing it; ``NO_ANSWER`` when none does."""
    question = request_text.rsplit("Question:", 1)[-1].lower()
    words = set(re.findall(r"\w{5,}", question))
    for number, text in PASSAGE.findall(request_text):
        if words & set(re.findall(r"\w{5,}", text.lower())):
            sentence = re.split(r"(?<=[.!?])\s", text.strip())[0]
            return f"{sentence} [{number}]"
    return "NO_ANSWER"


def signed_in(client: TestClient, user: str) -> dict[str, str]:
    """A sign-in session of ``user`` (asking needs no membership of the use case)."""
    token = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    assert token.status_code == 200, token.text
    client.cookies.clear()
    return {"authorization": f"Bearer {token.json()['token']}"}


def source_body(root: Path, use_case: int, **fields: Any) -> dict[str, Any]:
    return {
        "slug": "regulatory",
        "name": "Regulatory share",
        "kind": "folder",
        "location": str(root),
        "use_case_id": use_case,
        "owner": "alice",
        "data_class": "internal",
        "language": "fr",
        "readers": ["team:reg-affairs"],
        "embedding_model": "gpt-eu",
        "answer_model": "gpt-eu",
    } | fields


def ask(
    client: TestClient, headers: dict[str, str], question: str, *sources: str
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/insight/ask",
        json={"question": question, "sources": list(sources) or ["regulatory"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
