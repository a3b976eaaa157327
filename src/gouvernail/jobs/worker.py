"""A worker: takes due schedules, claims jobs, runs their handlers under a renewed lease.

The server runs one in its event loop (``jobs.embedded_worker``); ``gouvernail jobs worker``
runs more, in other processes or on other machines sharing the PostgreSQL database. A worker
stopping (shutdown, Ctrl-C) hands its running jobs back to the queue; a worker killed outright
stops renewing their leases, and another takes them over when the leases expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from typing import TYPE_CHECKING

import structlog

from gouvernail.jobs.kinds import Interrupted, JobContext
from gouvernail.jobs.queue import Claimed

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime

log = structlog.get_logger("gouvernail.jobs")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        rt: Runtime,
        *,
        name: str | None = None,
        concurrency: int | None = None,
        kinds: list[str] | None = None,
    ) -> None:
        self.rt = rt
        self.name = name or worker_name()
        self.concurrency = concurrency or rt.settings.jobs.worker_concurrency
        self.kinds = kinds
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe: look for work now rather than at the next poll."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        """Until cancelled: take due schedules, claim while there is room, sleep until woken
        or ``jobs.poll_seconds`` have passed."""
        self._loop = asyncio.get_running_loop()
        self.rt.jobs.wakers.append(self.wake)
        poll = self.rt.settings.jobs.poll_seconds
        log.info("worker started", worker=self.name, concurrency=self.concurrency)
        try:
            while True:
                self._wake.clear()
                try:
                    await asyncio.to_thread(self.rt.schedules.enqueue_due)
                    while len(self._running) < self.concurrency:
                        claimed = await asyncio.to_thread(self.rt.jobs.claim, self.name, self.kinds)
                        if claimed is None:
                            break
                        task = asyncio.create_task(self.execute(claimed))
                        self._running.add(task)
                        task.add_done_callback(self._done)
                except Exception:  # the database is away: logged, tried again at the next poll
                    log.exception("worker poll failed", worker=self.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=poll)
        finally:
            self.rt.jobs.wakers.remove(self.wake)
            for task in list(self._running):
                task.cancel()
            if self._running:
                await asyncio.gather(*self._running, return_exceptions=True)
            log.info("worker stopped", worker=self.name)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.wake()  # room for another job

    async def drain(self, *, limit: int = 10_000) -> int:
        """Run every job due now, one after the other, then return how many ran (the CLI's
        ``gouvernail jobs run-pending``)."""
        done = 0
        await asyncio.to_thread(self.rt.schedules.enqueue_due)
        while done < limit:
            claimed = await asyncio.to_thread(self.rt.jobs.claim, self.name, self.kinds)
            if claimed is None:
                break
            await self.execute(claimed)
            done += 1
        return done

    async def execute(self, claimed: Claimed) -> None:
        jobs = self.rt.jobs
        job = JobContext(
            id=claimed.id,
            kind=claimed.kind.name,
            parameters=claimed.parameters,
            attempt=claimed.attempt,
            audit=claimed.audit,
            user_id=claimed.user_id,
            max_attempts=claimed.kind.max_attempts,
        )
        bound = log.bind(job=job.id, kind=job.kind, attempt=job.attempt, worker=self.name)
        bound.info("job started")
        heartbeat = asyncio.create_task(self._heartbeat(job))
        try:
            result = await claimed.kind.handler(self.rt, job)
        except Interrupted as stop:
            if job.cancel_requested and not job.lease_lost:
                await asyncio.to_thread(jobs.cancelled, job.id, self.name)
            bound.info("job interrupted", why=str(stop))
        except asyncio.CancelledError:
            await asyncio.shield(asyncio.to_thread(jobs.release, job.id, self.name))
            bound.info("job handed back")
            raise
        except Exception as exc:
            status = await asyncio.to_thread(jobs.fail, job.id, self.name, exc)
            bound.warning("job failed", error=type(exc).__name__, status=status.value)
        else:
            finished = await asyncio.to_thread(jobs.succeed, job.id, self.name, result, job.note)
            bound.info("job succeeded" if finished else "job finished after losing its lease")
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, job: JobContext) -> None:
        every = max(self.rt.settings.jobs.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(every)
            lease = await asyncio.to_thread(self.rt.jobs.renew, job.id, self.name, job.note)
            job.lease_lost = not lease.held
            job.cancel_requested = lease.cancel_requested
            if job.lease_lost:
                return
