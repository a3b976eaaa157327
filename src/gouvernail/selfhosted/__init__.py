"""Models Gouvernail serves itself, in OpenAI's wire format, for its own gateway to call over
loopback like any self-hosted server (``/self-hosted/v1``, ``api/selfhosted.py``): the bundled
all-MiniLM-L6-v2 embedding model, so that an offline installation has a real model behind
``/v1/embeddings``."""

from gouvernail.selfhosted.embeddings import EmbeddingModel, Encoded
from gouvernail.selfhosted.wire import (
    EmbeddingRequest,
    embeddings_body,
    models_body,
    parse_embeddings,
)

__all__ = [
    "EmbeddingModel",
    "EmbeddingRequest",
    "Encoded",
    "embeddings_body",
    "models_body",
    "parse_embeddings",
]
