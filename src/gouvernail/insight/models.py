"""Tables of the insight service: sources, their documents, the access lists they carry and the
chunks the retrieval reads.

Permissions are stored once per distinct set of readers (``InsightAcl``): a chunk points at its
document's access list, and a query keeps only the chunks whose list names the caller, one of
their teams or everyone, inside the query itself. The full-text index (FTS5 on SQLite, a
``tsvector`` column on PostgreSQL) and the vectors are created by the migration and by
``insight.index``, not here: they are not portable tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class InsightSource(Base):
    """A document store indexed for insight: a folder or a SharePoint library, with the data
    owner accountable for it, its data class and the use case its model calls are made for."""

    __tablename__ = "insight_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(1000))
    options: Mapped[str] = mapped_column(Text, default="{}")
    """Connector options (JSON): never a secret, only the name of the variable holding it."""
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    data_class: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    readers: Mapped[str] = mapped_column(Text, default="[]")
    """Who may read a folder's documents (JSON list of ``user:<username>``, ``team:<name>``,
    ``everyone``), unless a folder's ``.access.yaml`` says otherwise."""
    embedding_model: Mapped[str] = mapped_column(String(100))
    answer_model: Mapped[str] = mapped_column(String(100))
    cursor: Mapped[str | None] = mapped_column(Text)
    sync_state: Mapped[str] = mapped_column(String(20), default="idle")
    sync_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sync_generation: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped when a full enumeration starts; documents not seen by it are gone."""
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    index_version: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped whenever chunks change (replicas reload their vector cache on PostgreSQL)."""
    vector_dimensions: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InsightAcl(Base):
    """One distinct set of readers (``*``, ``u:<user id>``, ``t:<team id>``)."""

    __tablename__ = "insight_acls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    principals: Mapped[str] = mapped_column(Text)


class InsightAclEntry(Base):
    __tablename__ = "insight_acl_entries"

    acl_id: Mapped[int] = mapped_column(ForeignKey("insight_acls.id"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class InsightDocument(Base):
    """One item of a source, as last synchronised, indexed or not (with the reason)."""

    __tablename__ = "insight_documents"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_insight_documents"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("insight_sources.id"), index=True)
    key: Mapped[str] = mapped_column(String(1000))
    path: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    media_type: Mapped[str] = mapped_column(String(120), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    """indexed, empty, failed (could not be read or parsed), unresolved (permissions)."""
    error_code: Mapped[str] = mapped_column(String(40), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    grants: Mapped[str] = mapped_column(Text, default="null")
    """Readers as the store named them (JSON), kept for the permission report."""
    acl_id: Mapped[int | None] = mapped_column(ForeignKey("insight_acls.id"), index=True)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    char_count: Mapped[int] = mapped_column(Integer, default=0)
    withheld_chunks: Mapped[int] = mapped_column(Integer, default=0)
    """Chunks carrying instructions (prompt-injection signals): never sent to a model."""
    generation: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InsightChunk(Base):
    """A passage of a document, where it is (page, slide, sheet) and who may read it."""

    __tablename__ = "insight_chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("insight_documents.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("insight_sources.id"), index=True)
    acl_id: Mapped[int] = mapped_column(ForeignKey("insight_acls.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer)
    slide: Mapped[int | None] = mapped_column(Integer)
    sheet: Mapped[str | None] = mapped_column(String(200))
    heading: Mapped[str | None] = mapped_column(String(500))
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[str] = mapped_column(Text, default="")


class InsightVector(Base):
    """A chunk's embedding on PostgreSQL (float32, little-endian); on SQLite vectors live in
    sqlite-vec tables instead (``insight.vectors``)."""

    __tablename__ = "insight_vectors"

    chunk_id: Mapped[int] = mapped_column(ForeignKey("insight_chunks.id"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("insight_sources.id"), index=True)
    acl_id: Mapped[int] = mapped_column(Integer)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
