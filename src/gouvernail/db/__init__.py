"""Storage: the SQLAlchemy engine, the declarative base and the Alembic migrations."""

from gouvernail.db.base import Base, UtcDateTime, utcnow
from gouvernail.db.engine import Database

__all__ = ["Base", "Database", "UtcDateTime", "utcnow"]
