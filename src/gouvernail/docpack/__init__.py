"""Documentation packs: per use case, an EU AI Act technical-documentation outline (Annex IV)
filled from the registry, the risk register, the approvals with their signature
manifestations and the audit history; for the platform itself, a validation pack tracing
requirements to the automated tests and their results. Markdown and PDF.

Public interface::

    runtime.documentation.use_case(ctx, use_case_id, Format.PDF) -> Rendered
    runtime.documentation.validation_pack(ctx, Format.MD, junit=None) -> Rendered
    content_hash(markdown) -> str        # the SHA-256 a cover and a PDF footer show
"""

from gouvernail.docpack.document import Document, Format, Rendered
from gouvernail.docpack.junit import Evidence, Outcome, parse
from gouvernail.docpack.markdown import content_hash
from gouvernail.docpack.record import Sources
from gouvernail.docpack.requirements import Requirement, Requirements
from gouvernail.docpack.service import Documentation

__all__ = [
    "Document",
    "Documentation",
    "Evidence",
    "Format",
    "Outcome",
    "Rendered",
    "Requirement",
    "Requirements",
    "Sources",
    "content_hash",
    "parse",
]
