"""insight: sources, documents, access lists, chunks, vectors and the full-text index

The full-text index depends on the backend: an FTS5 table over the Snowball-stemmed text on
SQLite (FTS5 has no French stemmer), a ``tsvector`` column with a GIN index on PostgreSQL.
sqlite-vec's vector tables are made per source by ``insight.vectors`` (their width is the
embedding model's).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_acls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("principals", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_acls")),
        sa.UniqueConstraint("digest", name=op.f("uq_insight_acls_digest")),
    )
    op.create_table(
        "insight_acl_entries",
        sa.Column("acl_id", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["insight_acls.id"], name=op.f("fk_insight_acl_entries_acl_id_insight_acls")
        ),
        sa.PrimaryKeyConstraint("acl_id", "principal", name=op.f("pk_insight_acl_entries")),
    )
    with op.batch_alter_table("insight_acl_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insight_acl_entries_principal"), ["principal"], unique=False
        )

    op.create_table(
        "insight_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("data_class", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("readers", sa.Text(), nullable=False),
        sa.Column("embedding_model", sa.String(length=100), nullable=False),
        sa.Column("answer_model", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("sync_state", sa.String(length=20), nullable=False),
        sa.Column("sync_started_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("sync_generation", sa.Integer(), nullable=False),
        sa.Column("synced_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("index_version", sa.Integer(), nullable=False),
        sa.Column("vector_dimensions", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_insight_sources_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_insight_sources_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"], ["use_cases.id"], name=op.f("fk_insight_sources_use_case_id_use_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_sources")),
        sa.UniqueConstraint("slug", name=op.f("uq_insight_sources_slug")),
    )
    with op.batch_alter_table("insight_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insight_sources_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_insight_sources_use_case_id"), ["use_case_id"], unique=False
        )

    op.create_table(
        "insight_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=1000), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("modified_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("grants", sa.Text(), nullable=False),
        sa.Column("acl_id", sa.Integer(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("withheld_chunks", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["insight_acls.id"], name=op.f("fk_insight_documents_acl_id_insight_acls")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["insight_sources.id"],
            name=op.f("fk_insight_documents_source_id_insight_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_documents")),
        sa.UniqueConstraint("source_id", "key", name="uq_insight_documents"),
    )
    with op.batch_alter_table("insight_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insight_documents_acl_id"), ["acl_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_insight_documents_content_hash"), ["content_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insight_documents_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "insight_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("acl_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("slide", sa.Integer(), nullable=True),
        sa.Column("sheet", sa.String(length=200), nullable=True),
        sa.Column("heading", sa.String(length=500), nullable=True),
        sa.Column("withheld", sa.Boolean(), nullable=False),
        sa.Column("signals", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acl_id"], ["insight_acls.id"], name=op.f("fk_insight_chunks_acl_id_insight_acls")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["insight_documents.id"],
            name=op.f("fk_insight_chunks_document_id_insight_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["insight_sources.id"],
            name=op.f("fk_insight_chunks_source_id_insight_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_chunks")),
    )
    with op.batch_alter_table("insight_chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insight_chunks_acl_id"), ["acl_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_insight_chunks_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insight_chunks_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "insight_vectors",
        sa.Column("chunk_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("acl_id", sa.Integer(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chunk_id"],
            ["insight_chunks.id"],
            name=op.f("fk_insight_vectors_chunk_id_insight_chunks"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["insight_sources.id"],
            name=op.f("fk_insight_vectors_source_id_insight_sources"),
        ),
        sa.PrimaryKeyConstraint("chunk_id", name=op.f("pk_insight_vectors")),
    )
    with op.batch_alter_table("insight_vectors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insight_vectors_source_id"), ["source_id"], unique=False
        )

    _full_text_index()


def _full_text_index() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE insight_chunks_fts USING fts5("
            "terms, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute("ALTER TABLE insight_chunks ADD COLUMN tsv tsvector")
        op.execute("CREATE INDEX ix_insight_chunks_tsv ON insight_chunks USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS insight_chunks_fts")
    with op.batch_alter_table("insight_vectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_vectors_source_id"))

    op.drop_table("insight_vectors")
    with op.batch_alter_table("insight_chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_chunks_source_id"))
        batch_op.drop_index(batch_op.f("ix_insight_chunks_document_id"))
        batch_op.drop_index(batch_op.f("ix_insight_chunks_acl_id"))

    op.drop_table("insight_chunks")
    with op.batch_alter_table("insight_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_documents_source_id"))
        batch_op.drop_index(batch_op.f("ix_insight_documents_content_hash"))
        batch_op.drop_index(batch_op.f("ix_insight_documents_acl_id"))

    op.drop_table("insight_documents")
    with op.batch_alter_table("insight_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_sources_use_case_id"))
        batch_op.drop_index(batch_op.f("ix_insight_sources_owner_id"))

    op.drop_table("insight_sources")
    with op.batch_alter_table("insight_acl_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_acl_entries_principal"))

    op.drop_table("insight_acl_entries")
    op.drop_table("insight_acls")
