"""The detectors load without torch and transformers (installed for the embedding model): a
fresh process importing the app and running the names model does not load them."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import sys
import gouvernail.app
from gouvernail.inspection import Inspector
from gouvernail.settings import Settings
inspector = Inspector.load(Settings().gateway.detectors_files, names=True)
found = inspector.inspect_text("Bonjour Marie Curie, merci.")
assert any(f.type == "PERSON" for f in found.findings), found
print(sorted(m for m in ("torch", "transformers") if m in sys.modules))
inspector.close()
"""


def test_the_detectors_do_not_import_torch() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
