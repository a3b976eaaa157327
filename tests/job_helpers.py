"""Following jobs from tests: the app's own worker runs them (``jobs.embedded_worker``)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

ACTIVE = ("queued", "running")


def wait_for_job(
    client: TestClient, headers: dict[str, str], job_id: int, timeout: float = 60
) -> dict[str, Any]:
    """The job once it is over (polled through the API, as a client would)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] not in ACTIVE:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job}"
        time.sleep(0.02)
