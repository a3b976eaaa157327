"""Browser tests: the application served for real (uvicorn in a thread), Debian's Chromium
driven by Playwright, axe-core (from npm) checking accessibility, screenshots saved as test
artefacts under ``$GOUVERNAIL_DATA_DIR/screenshots/<lang>/`` (``var/`` with ``make test``)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page

CHROMIUM = os.environ.get("GOUVERNAIL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path("node_modules/axe-core/axe.min.js")
SCREENSHOTS = Path(os.environ.get("GOUVERNAIL_DATA_DIR", "var")) / "screenshots"
BLOCKING = {"serious", "critical"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free local port for the duration; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def accessibility_problems(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v.get("impact") in BLOCKING
    ]


def photograph(page: Page, name: str, lang: str) -> None:
    """A full-page screenshot, kept as a test artefact."""
    target = SCREENSHOTS / lang / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)


def check_page(page: Page, name: str, lang: str) -> None:
    """No serious or critical accessibility finding; a full-page screenshot saved."""
    problems = accessibility_problems(page)
    assert not problems, f"{name} ({lang}): {problems}"
    photograph(page, name, lang)
