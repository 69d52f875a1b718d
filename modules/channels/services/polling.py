"""IMAP polling: each enabled e-mail account with `imap_host` is read by UID above its watermark, and
every message goes through the same inbound pipeline as the webhook (`receive`).

- Nothing lost, nothing read twice: a message's UID becomes the watermark (`MailboxState.last_uid`)
  only once `receive` has committed it, so a worker that dies mid-poll reads that message again,
  and `receive` dedupes it by Message-ID (or, for a mail without one, by the SHA-256 of its bytes).
  A folder whose UIDVALIDITY changed (recreated, restored) is read again from UID 1, deduplicated
  the same way. The first poll of an account reads the folder as it is.
- The mailbox is never changed: opened read-only, fetched with BODY.PEEK[] (mail_imap.Mailbox).
- One poll per mailbox at a time, across every worker process: the poll takes the account's lease
  (a conditional UPDATE on its MailboxState row, renewed every few seconds while it runs, expiring
  by itself when its process dies) and advances the watermark only while it still holds it.
- A message over MAX_BYTES (the webhook's 25 MB) is not read: it is recorded as a failed inbound
  message (`too_large`, with its size) for admins, and the poll goes on.
- Health: a poll that reached the folder sets `last_ok_at`, one that did not sets `last_error_at`
  and the error's code (`imap_auth_failed`, `imap_connection_refused`...), never server text.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from core.heartbeat import beating
from modules.channels.mail.imap import ImapError, ImapSettings, Mailbox
from modules.channels.mail.parse import message_ids
from modules.channels.models import ChannelAccount, InboundMessage, MailboxState
from modules.channels.services import credentials
from modules.channels.services.accounts import record_health
from modules.channels.services.inbound import receive

log = logging.getLogger(__name__)
KIND = "email"
MAX_BYTES = 25 * 1024 * 1024  # the webhook's limit (modules.channels.http.MAX_BYTES)
BATCH = 100  # messages one poll reads at most; the next poll goes on (a large folder's first read).
# (aioimaplib parses a response recursively, a level per line: keep one FETCH of sizes well under 1000.)
LEASE = timedelta(seconds=30)  # a poll's lease, renewed every RENEW_EVERY seconds while it runs
RENEW_EVERY = 5.0
CONCURRENCY = 4  # mailboxes one cron run polls at once
BUDGET_S = 50.0  # one cron run starts no new poll after this (the entry runs every minute)


def owner_id() -> str:
    """Who holds a lease: host, process and a random part (two runs in one process differ)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class PollResult:
    """status: polled, busy (another poll holds the lease), skipped (off, not IMAP), failed (`error`)."""

    status: str
    read: int = 0  # messages handed to the inbound pipeline (duplicates included)
    too_large: int = 0
    error: str | None = None


def imap_settings(account: ChannelAccount) -> ImapSettings | None:
    if account.kind != KIND:
        return None
    return ImapSettings.of(credentials.read(account))


async def mailbox_state(account: ChannelAccount) -> MailboxState:
    state = await MailboxState.filter(account_id=account.id).first()
    if state is None:
        try:
            state = await MailboxState.create(tenant_id=account.tenant_id, account_id=account.id)
        except IntegrityError:  # another process made it meanwhile
            state = await MailboxState.get(account_id=account.id)
    return state


def _free(prefix: str, now: datetime) -> Q:
    free: dict[str, object] = {f"{prefix}_until__isnull": True}
    expired: dict[str, object] = {f"{prefix}_until__lt": now}
    return Q(**free) | Q(**expired)  # type: ignore[arg-type]


async def take_lease(state: MailboxState, prefix: str, owner: str, length: timedelta = LEASE) -> bool:
    """Take the `poll` or `listen` lease of a mailbox unless another live process holds it."""
    now = datetime.now(UTC)
    return bool(await MailboxState.filter(_free(prefix, now), id=state.id).update(
        **{f"{prefix}_owner": owner, f"{prefix}_until": now + length}))


async def renew_lease(state_id: int, prefix: str, owner: str, length: timedelta = LEASE) -> bool:
    return bool(await MailboxState.filter(id=state_id, **{f"{prefix}_owner": owner}).update(
        **{f"{prefix}_until": datetime.now(UTC) + length}))


async def release_lease(state_id: int, prefix: str, owner: str) -> None:
    await MailboxState.filter(id=state_id, **{f"{prefix}_owner": owner}).update(
        **{f"{prefix}_owner": None, f"{prefix}_until": None})


class LeaseLost(Exception):
    """The poll's lease expired (its process stalled past LEASE) and another may be polling: stop."""


async def _advance(state: MailboxState, owner: str, uid: int) -> None:
    """The watermark past `uid`, once its message is committed; only the lease holder may."""
    if not await MailboxState.filter(id=state.id, poll_owner=owner, uidvalidity=state.uidvalidity).update(
            last_uid=uid, poll_until=datetime.now(UTC) + LEASE):
        raise LeaseLost()
    state.last_uid = uid


async def _too_large(account: ChannelAccount, box: Mailbox, uid: int, size: int) -> None:
    """Kept for admins as a failed inbound message with its size, no content; deduplicated by its
    Message-ID when the folder is read again."""
    header = await box.message_id_header(uid)
    ids = message_ids(header.decode("ascii", "replace")) if header else ()
    try:
        await InboundMessage.create(tenant_id=account.tenant_id, account_id=account.id, content="", size=size,
                                    provider_id=ids[0][:255] if ids else None, status="failed", error="too_large")
    except IntegrityError:
        return  # recorded before (a folder read again)
    log.warning("inbound on channel %s: IMAP message of %s bytes not read (over %s)", account.id, size, MAX_BYTES)


def content_id(raw: bytes) -> str:
    """What dedupes a mail without a Message-ID: the same bytes read again are the same mail."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


async def _read(account: ChannelAccount, state: MailboxState, owner: str, settings: ImapSettings,
                result: PollResult) -> None:
    async with Mailbox(settings) as box:
        folder = box.folder
        assert folder is not None
        if state.uidvalidity != folder.uidvalidity or state.folder != settings.folder:
            # A new folder, or the same name with new UIDs: read it from the start (dedupe keeps it once).
            if state.uidvalidity is not None:
                log.warning("channel %s: the IMAP folder's UIDVALIDITY changed: reading it again", account.id)
            if not await MailboxState.filter(id=state.id, poll_owner=owner).update(
                    uidvalidity=folder.uidvalidity, folder=settings.folder, last_uid=0):
                raise LeaseLost()
            state.uidvalidity, state.folder, state.last_uid = folder.uidvalidity, settings.folder, 0
        for found in await box.after(state.last_uid, BATCH):
            if found.size > MAX_BYTES:
                await _too_large(account, box, found.uid, found.size)
                result.too_large += 1
            else:
                raw = await box.fetch(found.uid)
                if raw is not None:  # None: expunged since it was listed
                    await receive(account, raw, fallback_id=content_id(raw))
                    result.read += 1
            await _advance(state, owner, found.uid)


async def poll_account(account_id: int) -> PollResult:
    """Read one account's new mail, if it is an enabled IMAP mailbox and no other poll holds it."""
    account = await ChannelAccount.filter(id=account_id).first()
    settings = imap_settings(account) if account is not None else None
    if account is None or settings is None or not account.enabled:
        return PollResult("skipped")
    state = await mailbox_state(account)
    owner = owner_id()
    if not await take_lease(state, "poll", owner):
        return PollResult("busy")
    state = await MailboxState.get(id=state.id)  # the watermark as the last poll left it, read under the lease
    result = PollResult("polled")

    async def renew() -> None:
        await renew_lease(state.id, "poll", owner)

    try:
        async with beating(renew, RENEW_EVERY):
            await _read(account, state, owner, settings, result)
    except ImapError as exc:
        result.status, result.error = "failed", exc.code
        log.warning("IMAP poll of channel %s failed: %s", account.id, exc.code)
        await record_health(account.id, exc.code)
        return result
    except LeaseLost:
        log.warning("IMAP poll of channel %s stopped: its lease expired", account.id)
        result.status, result.error = "failed", "lease_lost"
        return result
    finally:
        await MailboxState.filter(id=state.id, poll_owner=owner).update(
            poll_owner=None, poll_until=None, polled_at=datetime.now(UTC))
    await record_health(account.id, None)
    return result


async def imap_accounts() -> list[ChannelAccount]:
    """Every enabled e-mail account, of every tenant, that has IMAP set (credentials are decrypted
    here: the database cannot tell), the least recently polled first."""
    rows = await ChannelAccount.filter(kind=KIND, enabled=True).order_by("id")
    accounts = [a for a in rows if imap_settings(a) is not None]
    polled = dict(await MailboxState.filter(account_id__in=[a.id for a in accounts]).values_list(
        "account_id", "polled_at")) if accounts else {}
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(accounts, key=lambda a: polled.get(a.id) or epoch)


async def poll_due(budget_s: float = BUDGET_S, concurrency: int = CONCURRENCY,
                   clock: Callable[[], float] = time.monotonic) -> dict[str, int]:
    """The cron's run: poll every IMAP account, `concurrency` at a time, the least recently polled
    first; accounts not started within `budget_s` wait for the next run. Counts by status."""
    deadline = clock() + budget_s
    counts: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)

    async def one(account: ChannelAccount) -> None:
        async with gate:
            if clock() > deadline:
                counts["deferred"] = counts.get("deferred", 0) + 1
                return
            try:
                status = (await poll_account(account.id)).status
            except Exception:  # noqa: BLE001 - one mailbox's failure (the database away) stops no other
                log.exception("IMAP poll of channel %s failed", account.id)
                status = "error"
            counts[status] = counts.get(status, 0) + 1

    await asyncio.gather(*(one(a) for a in await imap_accounts()))
    return counts
