"""The demo's shadow AI: a month of the web proxy's access log (Squid's native format),
generated for the demo's people with ``observatory.shadow.samples`` and imported, so the
observatory's shadow-AI page and ``gouvernail shadow report`` have something to show: chat
assistants, a few model APIs called directly (critical findings), uploads, malformed lines."""

from __future__ import annotations

import tempfile
from pathlib import Path

from gouvernail.demo.run import DemoRun
from gouvernail.errors import ConflictError
from gouvernail.observatory.shadow.samples import Person, generate, service_samples

LINES = 30_000
SERVICES = 60  # the most popular of the catalogue (chat assistants first, then model APIs)


def load(run: DemoRun) -> None:
    people = [Person(user.username, "") for user in run.users.values()]
    if not people:
        return
    with tempfile.TemporaryDirectory(prefix="gouvernail-demo-") as folder:
        path = Path(folder) / "access.log"
        with path.open("wb") as out:
            generate(
                out,
                fmt="squid",
                people=people,
                services=service_samples()[:SERVICES],
                start=run.moment(-30, 0),
                days=30,
                lines=LINES,
                ai_share=0.08,
                malformed_share=0.001,
                seed=2026,
            )
        try:
            view = run.rt.shadow.import_file(
                run.ctx, path, "squid", name=f"proxy-access-{run.today:%Y%m%d}.log"
            )
        except ConflictError:  # loaded before (demo load --force): imported once only
            return
    run.created["proxy-log lines imported"] += view.lines
