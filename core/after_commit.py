"""Side effects that must wait until a request's outer transaction has committed.

Services open their own transactions and, once those commit, tell other processes (a live update
over Redis pub/sub, a policy change to the watcher). Inside an outer transaction (an idempotent
mutation, core.idempotency: every service transaction becomes a savepoint of it), their commit is
not yet durable: another process told then would re-read the old rows, or rows that later roll
back. So inside `deferring()` such effects are queued, and `run()` performs them once the outer
transaction has committed; if it rolls back, the queue is dropped. Outside, they happen at once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Effect = Callable[[], Awaitable[object]]


@dataclass
class Deferred:
    effects: list[Effect] = field(default_factory=list)
    open: bool = True  # closed once its scope ended: a latecomer (a stray task) runs at once


_current: ContextVar[Deferred | None] = ContextVar("sellercare_after_commit", default=None)


def pending() -> bool:
    """Whether an effect asked for now would wait for an outer commit."""
    queue = _current.get()
    return queue is not None and queue.open


async def after_commit(effect: Effect) -> None:
    """Perform `effect` once the outer transaction commits, or now when there is none."""
    queue = _current.get()
    if queue is not None and queue.open:
        queue.effects.append(effect)
        return
    await effect()


@contextlib.contextmanager
def deferring() -> Iterator[Deferred]:
    """Queue effects asked for in this scope (and in tasks it starts); `run()` them after commit."""
    queue = Deferred()
    token = _current.set(queue)
    try:
        yield queue
    finally:
        queue.open = False
        _current.reset(token)


async def run(queue: Deferred) -> None:
    """Perform the queued effects, each best effort: the change they announce is committed, so a
    failure (Redis away) is logged, never turned into a failed response."""
    effects, queue.effects = queue.effects, []
    for effect in effects:
        try:
            await effect()
        except Exception:  # noqa: BLE001 - the commit stands; the effect's own TTLs bound the damage
            log.warning("an after-commit effect failed", exc_info=True)
