"""Keep torch and transformers out of the NLP stack's import.

Presidio and spaCy (through thinc) import torch and transformers at import time whenever they
are installed, for integrations we do not use (Hugging Face pipelines, PyTorch layers); they
are installed for the bundled embedding model. That made every process importing the detectors
take about 15 s and 570 MB instead of 6.5 s and 200 MB (measured on this project's machine).
While ``lean()`` is active, the thread that entered it cannot import them: Presidio and thinc
treat that as "not installed", as they are written to. Other threads are untouched (the
embedding model may be loading at the same moment), and torch imports normally afterwards.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

KEPT_OUT = ("torch", "transformers")


class _KeepOut(importlib.abc.MetaPathFinder):
    def __init__(self, thread: int) -> None:
        self.thread = thread

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if threading.get_ident() == self.thread and fullname.split(".")[0] in KEPT_OUT:
            raise ImportError(f"{fullname} is kept out of the detectors' imports")
        return None


@contextmanager
def lean() -> Iterator[None]:
    """Import the NLP libraries inside this block."""
    if any(name in sys.modules for name in KEPT_OUT):  # too late: they are loaded already
        yield
        return
    finder = _KeepOut(threading.get_ident())
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
