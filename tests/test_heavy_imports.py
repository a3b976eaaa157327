"""A server loads its heavy libraries when it first needs them, not at start-up or in the
housekeeping jobs it runs every few minutes (each is tens to hundreds of MB of memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from gouvernail.app import create_app
from gouvernail.audit import AuditContext
from gouvernail.audit.events import SYSTEM
from gouvernail.db.migrate import upgrade
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

runtime = Runtime.build(Settings())
upgrade(runtime.database)
create_app(Settings(), runtime)
runtime.gateway  # the gateway with its detectors, as a server builds it
runtime.alerts.run_check(None, AuditContext(SYSTEM, "test"))
heavy = ("scipy", "duckdb", "torch", "transformers", "sentence_transformers")
print("loaded:", [name for name in heavy if name in sys.modules])
"""


def test_start_up_and_the_alerts_check_leave_heavy_libraries_unloaded(tmp_path: Path) -> None:
    env = {"GOUVERNAIL_DATA_DIR": str(tmp_path), "GOUVERNAIL_ENV": "test", "PATH": "/usr/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "loaded: []" in done.stdout.splitlines(), done.stdout[-2000:]
