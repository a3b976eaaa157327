"""OpenID Connect single sign-on (placeholder router, filled below)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["identity"])
