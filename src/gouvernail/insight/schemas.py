"""What the API and the CLI send and receive for insight."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gouvernail.inventory.credentials import credential_problem

Slug = str


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SharePointOptions(Strict):
    tenant_id: str = Field(min_length=1, max_length=100)
    client_id: str = Field(min_length=1, max_length=100)
    credential_ref: str = Field(
        min_length=2,
        max_length=128,
        description="Name of the environment variable (or file in gateway.secrets_dir) holding "
        "the client secret; never the secret itself.",
    )
    library: str | None = Field(None, max_length=200)
    authority_host: str = Field("https://login.microsoftonline.com", max_length=300)
    graph_url: str = Field("https://graph.microsoft.com/v1.0", max_length=300)
    ca_bundle: str | None = Field(
        None,
        max_length=1000,
        description="A PEM file of the certificate authorities to trust (a corporate proxy's); "
        "default: the system's.",
    )

    @field_validator("credential_ref")
    @classmethod
    def _reference(cls, value: str) -> str:
        problem = credential_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class SourceIn(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["folder", "sharepoint"]
    location: str = Field(
        min_length=1,
        max_length=1000,
        description="folder: a directory path on the server; sharepoint: the site, as "
        "'host:/sites/path' or a site id.",
    )
    use_case_id: int = Field(description="The use case the source serves (its model calls).")
    owner: str = Field(min_length=1, max_length=64, description="Username of the data owner.")
    data_class: str = Field(min_length=1, max_length=40)
    language: Literal["fr", "en"] = "fr"
    readers: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="folder: who may read (everyone, user:<e-mail>, team:<name or slug>).",
    )
    embedding_model: str = Field(min_length=1, max_length=100)
    answer_model: str = Field(min_length=1, max_length=100)
    sharepoint: SharePointOptions | None = None


class SourceView(BaseModel):
    slug: str
    name: str
    kind: str
    location: str
    use_case_id: int
    owner: str
    data_class: str
    language: str
    readers: list[str]
    embedding_model: str
    answer_model: str
    sync_state: str
    synced_at: datetime | None
    last_error: str
    documents: dict[str, int]
    """Documents by status: indexed, empty, failed, unresolved."""
    chunks: int


class SyncView(BaseModel):
    source: str
    counts: dict[str, int]
    problems: list[dict[str, str]]
    seconds: float
    error: str


class AskIn(Strict):
    question: str = Field(min_length=1, max_length=4000)
    sources: list[str] = Field(min_length=1, max_length=10)
    passages: int | None = Field(None, ge=1, le=50)


class PassageView(BaseModel):
    number: int
    source: str
    document_id: int
    title: str
    path: str
    url: str
    locator: str
    page: int | None
    slide: int | None
    sheet: str | None
    text: str
    score: float


class CitationView(BaseModel):
    number: int
    sentence: str
    supported: bool
    support: float


class WithheldView(BaseModel):
    source: str
    document_id: int
    title: str
    locator: str
    signals: str


class AskView(BaseModel):
    mode: Literal["answer", "abstained", "passages"]
    """answer: the model answered with citations; abstained: the evidence is not in the
    documents you may read; passages: AI is unavailable (switched off, refused, provider down),
    here are the ranked passages instead — the procedure without AI."""
    answer: str | None
    reason: str
    passages: list[PassageView]
    citations: list[CitationView]
    withheld: list[WithheldView]
    model: str | None
    request_ids: list[str]
