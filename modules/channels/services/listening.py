"""IMAP IDLE: a long-lived listener per mailbox in the worker, so new mail becomes a ticket within
seconds instead of at the next minute's poll (which stays, as the fallback).

`Listeners.run` is the channels module's worker service (core.registry.WorkerContribution.services):
every RESCAN_EVERY seconds it lists the enabled IMAP mailboxes and starts a listener for each one it
does not listen to yet, and stops the listeners of mailboxes switched off, removed, or whose
credentials changed (those start again with the new ones). A listener:

- takes the mailbox's `listen` lease (MailboxState; renewed while it runs, expiring by itself when
  its process dies), so one worker process in all holds the IDLE connection of a mailbox;
- connects, and when the server's CAPABILITY has no IDLE, gives up on that mailbox for
  NO_IDLE_RETRY (the cron poll serves it alone);
- polls once (what came while nobody listened), then IDLEs; on EXISTS it polls at once through
  `polling.poll_account` (its own connection, under the poll lease: when the cron's poll holds it,
  it tries again every second, so a mail that came after the cron listed the folder is not left
  for the next minute); the IDLE is renewed every IDLE_RENEW (servers drop a silent one at 30 min);
- after a failure (the server away, a refused login), tries again after a back-off doubling from
  5 s to 5 min. The cron poll records the failure on the account's health.

Told to stop (the worker stops, the mailbox is switched off or changed), a listener finishes the
poll it is in, ends IDLE, logs out and releases its lease: it is stopped by an event, never
cancelled in the middle of a database call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.heartbeat import beating
from modules.channels.mail.imap import ImapError, ImapSettings, Mailbox
from modules.channels.models import ChannelAccount, MailboxState
from modules.channels.services import polling

log = logging.getLogger(__name__)
RESCAN_EVERY = 10.0  # seconds: how soon a new, changed or switched-off mailbox is seen
IDLE_RENEW = 9 * 60.0  # seconds an IDLE is kept before DONE and a new IDLE
NO_IDLE_RETRY = 600.0  # seconds before a server without IDLE is asked again
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 300.0
BUSY_RETRY_S, BUSY_WAIT_S = 1.0, 60.0  # while another poll holds the mailbox


def fingerprint(settings: ImapSettings) -> str:
    """What a listener was started with (a change of host, user, password or folder restarts it)."""
    values = json.dumps([settings.host, settings.port, settings.security, settings.username, settings.password,
                         settings.folder])
    return hashlib.sha256(values.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Running:
    fingerprint: str
    task: asyncio.Task[None]
    halt: asyncio.Event


async def _pause(halt: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(halt.wait(), seconds)


@dataclass
class Listeners:
    """The listeners of one worker process; `run` until `stopping` is set."""

    every: float = RESCAN_EVERY
    owner: str = field(default_factory=polling.owner_id)
    running: dict[int, _Running] = field(default_factory=dict)
    no_idle_until: dict[int, float] = field(default_factory=dict)

    async def run(self, rt: Any = None, stopping: asyncio.Event | None = None) -> None:
        stopping = stopping or asyncio.Event()
        try:
            while not stopping.is_set():
                try:
                    await self.rescan()
                except Exception:  # noqa: BLE001 - the database away: try again at the next scan
                    log.warning("IMAP listeners: could not list the mailboxes", exc_info=True)
                await _pause(stopping, self.every)
        finally:
            await self.stop_all()

    async def rescan(self) -> None:
        wanted: dict[int, ImapSettings] = {}
        for account in await polling.imap_accounts():
            settings = polling.imap_settings(account)
            if settings is not None:
                wanted[account.id] = settings
        for account_id, run in list(self.running.items()):
            if account_id not in wanted or fingerprint(wanted[account_id]) != run.fingerprint:
                run.halt.set()  # switched off, removed or changed: it stops after what it is doing
            if run.task.done():
                failure = None if run.task.cancelled() else run.task.exception()
                if failure is not None:  # the database away mid-poll, say: the next scan starts it again
                    log.warning("IMAP listener of channel %s ended with %s", account_id, type(failure).__name__)
                del self.running[account_id]
        now = time.monotonic()
        for account_id, settings in wanted.items():
            if account_id in self.running or self.no_idle_until.get(account_id, 0) > now:
                continue
            halt = asyncio.Event()
            task = asyncio.create_task(self.listen(account_id, settings, halt), name=f"imap-idle-{account_id}")
            self.running[account_id] = _Running(fingerprint(settings), task, halt)

    async def stop_all(self, grace: float = 10.0) -> None:
        runs, self.running = list(self.running.values()), {}
        for run in runs:
            run.halt.set()
        if not runs:
            return
        _, pending = await asyncio.wait([r.task for r in runs], timeout=grace)
        for task in pending:
            task.cancel()
        for run in runs:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await run.task

    def listening(self) -> list[int]:
        """The accounts this process holds an IDLE connection for, or tries to."""
        return [a for a, run in self.running.items() if not run.task.done()]

    async def listen(self, account_id: int, settings: ImapSettings, halt: asyncio.Event) -> None:
        """Listen to one mailbox until `halt`, or until another process holds it (the next scan
        tries again), or the server has no IDLE."""
        account = await ChannelAccount.filter(id=account_id).first()
        if account is None:
            return
        state = await polling.mailbox_state(account)
        if not await polling.take_lease(state, "listen", self.owner):
            return  # another worker process listens to it

        async def renew() -> None:
            if not await polling.renew_lease(state.id, "listen", self.owner):
                # This process stalled past the lease and another may listen now: stop (a later scan competes again).
                log.warning("IMAP listener of channel %s lost its lease: stopping", account_id)
                halt.set()

        delay = BACKOFF_FIRST
        try:
            async with beating(renew, polling.RENEW_EVERY):
                while not halt.is_set():
                    began = time.monotonic()
                    try:
                        if await self._session(account_id, settings, halt):
                            return  # no IDLE on this server
                    except ImapError as exc:
                        if time.monotonic() - began > BACKOFF_MAX:  # it had been listening a good while
                            delay = BACKOFF_FIRST
                        log.info("IMAP listener of channel %s: %s; again in %.0f s", account_id, exc.code, delay)
                        await _pause(halt, delay)
                        delay = min(delay * 2, BACKOFF_MAX)
        finally:
            await asyncio.shield(polling.release_lease(state.id, "listen", self.owner))

    async def _session(self, account_id: int, settings: ImapSettings, halt: asyncio.Event) -> bool:
        """One connection's life: True when the server has no IDLE, False once told to stop."""
        async with Mailbox(settings) as box:
            if not box.capable("IDLE"):
                log.info("IMAP server of channel %s has no IDLE: polled every minute only", account_id)
                self.no_idle_until[account_id] = time.monotonic() + NO_IDLE_RETRY
                return True
            await self._poll(account_id, halt)  # what came while nobody listened
            while not halt.is_set():
                await box.idle_start()
                renew_at = time.monotonic() + IDLE_RENEW
                while not halt.is_set() and time.monotonic() < renew_at:
                    push = await box.wait_push(renew_at - time.monotonic(), halt)
                    while box.pushed():  # a burst of mail: one poll for all of it
                        push += await box.wait_push(0.01)
                    if any(line.endswith(b"EXISTS") for line in push):
                        await self._poll(account_id, halt)
                await box.idle_done()
        return False

    async def _poll(self, account_id: int, halt: asyncio.Event) -> None:
        """Poll now; while another poll holds the mailbox, again every second (it may have listed
        the folder before this mail came)."""
        deadline = time.monotonic() + BUSY_WAIT_S
        while not halt.is_set():
            result = await polling.poll_account(account_id)
            if result.status != "busy" or time.monotonic() > deadline:
                return
            await _pause(halt, BUSY_RETRY_S)


async def service(rt: Any, stopping: asyncio.Event) -> None:
    """The channels module's worker service: IMAP IDLE listeners for every enabled mailbox."""
    await Listeners().run(rt, stopping)


async def holder(account_id: int) -> str | None:
    """Who holds the mailbox's IDLE connection now (a live lease), or None."""
    state = await MailboxState.filter(account_id=account_id).first()
    if state is None or state.listen_until is None or state.listen_until < datetime.now(UTC):
        return None
    return state.listen_owner
