"""`sellercare worker`: arq's two workers (jobs, cron) that outlive a Redis outage and stop gracefully.

arq's `Worker.main` ends with an exception when Redis goes away; a worker that simply exits waits
for an operator (1,373 events waited once). Here a lost connection is logged and both workers
start again after a back-off (1 s doubling to 30 s) on the same runtime: redis-py reconnects on
the next command, and nothing owed is lost meanwhile (the outbox keeps it in the database).

SIGTERM or SIGINT stops picking new jobs, lets running ones finish for `grace` seconds, then
cancels the rest, which arq queues again (`retry_jobs`): a deploy hands work back instead of
dropping it. The modules' worker services (IMAP listeners, workers.services) run for the whole
life of the process, across Redis outages, and are stopped (cancelled, their leases released)
after the queues. The signal is handled here, once for both workers (arq's own handler would be
installed by each and only the last would hear it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.runtime import Runtime
from workers.embedded import build_cron_worker, build_worker
from workers.services import Services

log = logging.getLogger("sellercare.worker")
MAX_BACKOFF = 30.0
REDIS_LOST = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


async def _run_both(workers: list[Worker], stopping: asyncio.Event) -> None:
    """Run the workers until all end (a burst emptied their queues), a signal stops them, or one
    fails (then the other is stopped too and the failure raised)."""
    tasks = [asyncio.ensure_future(w.async_run()) for w in workers]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [t for t in done if not t.cancelled() and t.exception() is not None]
        if failed and not stopping.is_set():
            raise failed[0].exception()  # type: ignore[misc]
        if pending:
            await asyncio.wait(pending)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, *REDIS_LOST):
                await task


async def run_worker(rt: Runtime, *, burst: bool = False, grace: int = 25) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    workers: list[Worker] = []

    def stop(signum: signal.Signals) -> None:
        stopping.set()
        for worker in workers:
            worker.handle_sig_wait_for_completion(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum)
    services = Services(rt, [] if burst else None)  # a burst run drains the queues and ends: no listener
    services.start()
    delay = 1.0
    try:
        while True:
            workers[:] = [build_worker(rt, handle_signals=False, burst=burst, job_completion_wait=grace),
                          build_cron_worker(rt, burst=burst, job_completion_wait=grace)]
            try:
                await _run_both(workers, stopping)
                if stopping.is_set():
                    log.info("worker stopped by signal")
                return  # a burst that emptied the queues, or a signal
            except REDIS_LOST as exc:
                log.warning("worker lost Redis (%s): starting again in %.0f s", type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
    finally:
        await services.stop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
