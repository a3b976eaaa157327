"""The ``gouvernail`` command: a thin layer over the same services as the API.

Its help text is the reference: ``gouvernail --help``, ``gouvernail <group> --help``. Each
module of this package owns one group of commands and registers it on the root app.
"""

from gouvernail.cli import audit, charter, identity, server
from gouvernail.cli._common import app

__all__ = ["app", "audit", "charter", "identity", "main", "server"]


def main() -> None:
    app()
