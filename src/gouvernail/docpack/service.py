"""``runtime.documentation``: generate a documentation pack and record who generated what.

Generating is a read, but handing a document to someone is an act an inspector may ask about:
each generation writes one audit record with the format, the content hash and the SHA-256 of
the delivered file, after the document is built (a refused or failed generation leaves none).
"""

from __future__ import annotations

import platform
from pathlib import Path

from gouvernail import __version__
from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.base import utcnow
from gouvernail.docpack import use_case, validation
from gouvernail.docpack.document import Format, Rendered, render
from gouvernail.docpack.events import DocumentationGenerated, ValidationPackGenerated
from gouvernail.docpack.junit import Evidence, parse
from gouvernail.docpack.record import Sources
from gouvernail.docpack.requirements import Requirements
from gouvernail.errors import GouvernailError


def _by(ctx: AuditContext) -> str:
    return f"{ctx.actor.name} ({ctx.actor.id})"


def this_platform() -> validation.Platform:
    return validation.Platform(
        version=__version__,
        python=platform.python_version(),
        system=platform.platform(terse=True),
    )


class Documentation:
    def __init__(
        self,
        sources: Sources,
        trail: AuditTrail,
        *,
        junit_file: Path,
        requirements_file: Path | None = None,
    ) -> None:
        self.sources = sources
        self.trail = trail
        self.junit_file = junit_file
        self.requirements_file = requirements_file

    def use_case(self, ctx: AuditContext, use_case_id: int, fmt: Format) -> Rendered:
        """The documentation pack of one use case (404 if it does not exist)."""
        record = self.sources.read(use_case_id)
        document = use_case.build(
            record, generated_by=_by(ctx), generated_at=utcnow(), version=__version__
        )
        rendered = render(document, fmt)

        def work(tx: Tx) -> None:
            tx.emit(
                DocumentationGenerated(
                    object_id=str(use_case_id),
                    object_version=record.view.revision,
                    new={
                        "format": fmt.value,
                        "revision": record.view.revision,
                        "content_hash": rendered.content_hash,
                        "file_sha256": rendered.sha256,
                        "gouvernail_version": __version__,
                    },
                )
            )

        self.trail.run(ctx, work)
        return rendered

    def evidence(self, junit: Path | None = None) -> tuple[Evidence | None, str]:
        """The test evidence: ``junit`` if given (an unreadable file is an error), else the
        configured file (absent or unreadable: no evidence, and why)."""
        if junit is not None:
            return parse(junit), ""
        if not self.junit_file.is_file():
            return None, f"there is no JUnit report at {self.junit_file}"
        try:
            return parse(self.junit_file), ""
        except GouvernailError as error:
            return None, error.message

    def validation_pack(
        self, ctx: AuditContext, fmt: Format, *, junit: Path | None = None
    ) -> Rendered:
        """The platform's validation pack: requirements, tests, results of the evidence."""
        requirements = Requirements.load(self.requirements_file)
        evidence, missing = self.evidence(junit)
        document = validation.build(
            requirements,
            evidence,
            missing=missing,
            platform=this_platform(),
            generated_by=_by(ctx),
            generated_at=utcnow(),
        )
        rendered = render(document, fmt)
        traced = validation.trace(requirements, evidence)

        def work(tx: Tx) -> None:
            tx.emit(
                ValidationPackGenerated(
                    object_id=__version__,
                    new={
                        "format": fmt.value,
                        "content_hash": rendered.content_hash,
                        "file_sha256": rendered.sha256,
                        "junit_file": evidence.path if evidence else None,
                        "junit_sha256": evidence.sha256 if evidence else None,
                        "requirements": len(traced),
                        "passed": sum(t.verdict is validation.Verdict.PASSED for t in traced),
                        "failed": sum(t.verdict is validation.Verdict.FAILED for t in traced),
                    },
                )
            )

        self.trail.run(ctx, work)
        return rendered
