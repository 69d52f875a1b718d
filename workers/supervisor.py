"""`sellercare worker`: an arq worker that outlives a Redis outage and stops gracefully.

arq's `Worker.main` ends with an exception when Redis goes away; a worker that simply exits waits
for an operator (1,373 events waited once). Here a lost connection is logged and the worker
starts again after a back-off (1 s doubling to 30 s) on the same runtime: redis-py reconnects on
the next command, and nothing owed is lost meanwhile (the outbox keeps it in the database).

SIGTERM or SIGINT stops picking new jobs, lets running ones finish for `grace` seconds, then
cancels the rest, which arq queues again (`retry_jobs`): a deploy hands work back instead of
dropping it.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.runtime import Runtime
from workers.embedded import build_worker

log = logging.getLogger("sellercare.worker")
MAX_BACKOFF = 30.0


async def run_worker(rt: Runtime, *, burst: bool = False, grace: int = 25) -> None:
    delay = 1.0
    while True:
        worker = build_worker(rt, handle_signals=True, burst=burst, job_completion_wait=grace)
        try:
            await worker.async_run()
            return  # a burst that emptied the queue
        except asyncio.CancelledError:
            log.info("worker stopped by signal")
            return
        except (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError) as exc:
            log.warning("worker lost Redis (%s): starting again in %.0f s", type(exc).__name__, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF)
