"""Structured logs: JSON lines on stderr (console rendering when ``log_json`` is false)."""

from __future__ import annotations

import logging
import sys

import structlog

from gouvernail.settings import Settings


def configure_logging(settings: Settings) -> None:
    """Configure the process's logging (logging is process-wide by nature)."""
    level = getattr(logging, settings.log_level)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
