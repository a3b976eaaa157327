"""Micro-batching of NER across concurrent inspections.

Windows from concurrent ``inspect`` calls are gathered for ``max_delay`` seconds (or until
``max_windows`` are waiting), then the model runs once over all of them in the single worker
thread, and each caller gets its own results back. Identical windows in a batch run once.
Synchronous callers go through the same worker thread, so the model is never used by two threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gouvernail.inspection.names import Span

Run = Callable[[Sequence[str]], list[list[Span]]]


@dataclass
class _Batch:
    items: list[tuple[list[str], asyncio.Future[list[list[Span]]]]] = field(default_factory=list)
    size: int = 0
    timer: asyncio.TimerHandle | None = None


class NerBatcher:
    def __init__(self, run: Run, *, max_delay: float = 0.0015, max_windows: int = 64) -> None:
        self._run = run
        self.max_delay = max_delay
        self.max_windows = max_windows
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gouvernail-ner")
        self._pending: dict[asyncio.AbstractEventLoop, _Batch] = {}

    async def submit(self, windows: Sequence[str]) -> list[list[Span]]:
        if not windows:
            return []
        loop = asyncio.get_running_loop()
        batch = self._pending.get(loop)
        if batch is None:
            batch = self._pending[loop] = _Batch()
            batch.timer = loop.call_later(self.max_delay, self._flush, loop)
        future: asyncio.Future[list[list[Span]]] = loop.create_future()
        batch.items.append((list(windows), future))
        batch.size += len(windows)
        if batch.size >= self.max_windows:
            self._flush(loop)
        return await future

    def run_sync(self, windows: Sequence[str]) -> list[list[Span]]:
        if not windows:
            return []
        return self._executor.submit(self._run, list(windows)).result()

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._pending.pop(loop, None)
        if batch is None:
            return
        if batch.timer is not None:
            batch.timer.cancel()
        unique = list(dict.fromkeys(text for texts, _ in batch.items for text in texts))
        done = asyncio.wrap_future(self._executor.submit(self._run, unique), loop=loop)

        def distribute(outcome: asyncio.Future[list[list[Span]]]) -> None:
            error: BaseException | None = (
                asyncio.CancelledError() if outcome.cancelled() else outcome.exception()
            )
            results = dict(zip(unique, outcome.result(), strict=True)) if error is None else {}
            for texts, future in batch.items:
                if future.done():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result([results[text] for text in texts])

        done.add_done_callback(distribute)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
