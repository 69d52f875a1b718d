"""IMAP polling end to end, against a real IMAP server the tests start (dovecot, tests/fixtures/dovecot.py):
mail APPENDed to a mailbox becomes tickets through the same inbound pipeline as the webhook, exactly
once across polls, restarts, crashes and a changed UIDVALIDITY; health carries error codes only; IDLE
brings a mail in within seconds; a switched-off mailbox is left alone. Channels are made over HTTP
(createChannel); the polls are called as the cron calls them, with the embedded worker's own poll cron
and IDLE listeners paused (they would poll at moments of their own)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from strawberry import relay as gid

from modules.aftersales.models import Ticket
from modules.channels import http as channel_http
from modules.channels.mail import imap
from modules.channels.models import ChannelAccount, InboundMessage, MailboxState
from modules.channels.services import listening, polling
from tests.conftest import BACKEND, Api, TenantFixture, make_tenant, process_env, services_held
from tests.fixtures.dovecot import Dovecot, free_port
from tests.modules.test_channels_email import (
    CREATE_CHANNEL,
    REPLY,
    TICKET,
    UPDATE_CHANNEL,
    Mailbox,
    _free_port,
    drain,
    mail,
)

ROOT = Path(__file__).resolve().parents[2]
REAL_POLL_DUE = polling.poll_due  # the cron's function, before the fixture below pauses it
INBOUND = """query($c: ID!, $s: InboundStatus) { channelInboundMessages(channelId: $c, status: $s, first: 50) {
  nodes { id status error ticketId size } } }"""
HEALTH = "{ channels(first: 50) { edges { node { id credentialsSet health { lastOkAt lastErrorAt lastError } } } } }"


@pytest.fixture(scope="module", autouse=True)
async def quiet(app: Any) -> AsyncIterator[None]:
    """The embedded worker neither polls (its cron) nor listens (its IDLE service) during these tests."""
    async def paused(*_: Any, **__: Any) -> dict[str, int]:
        return {}

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(polling, "poll_due", paused)
        async with services_held(app):
            yield
            # The mailboxes made here are switched off, so the embedded worker's listeners, started
            # again now, hold no IDLE connection to them for the rest of the session.
            await ChannelAccount.filter(id__in=[a.id for a in await polling.imap_accounts()]).update(enabled=False)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """The SMTP server replies go out to (aiosmtpd, as in test_channels_email)."""
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
async def shop(api: Api, rt: Any) -> TenantFixture:
    return await make_tenant(api, rt)


def mailbox_user(server: Dovecot) -> tuple[str, str]:
    user, password = f"shop-{uuid.uuid4().hex[:8]}", f"imap-Secret-{uuid.uuid4().hex[:10]}"
    server.add_user(user, password)
    return user, password


async def imap_channel(api: Api, t: TenantFixture, server: Dovecot, user: str, password: str, *,
                       smtp_port: int = 25, **imap_extra: Any) -> tuple[str, int]:
    """A mailbox read over IMAP, made with createChannel; (its global id, its row id)."""
    credentials = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_security": "none",
                   "imap_host": "127.0.0.1", "imap_port": server.port, "imap_security": "none",
                   "imap_username": user, "imap_password": password, **imap_extra}
    data = (await api.data(CREATE_CHANNEL, {"i": {
        "kind": "email", "name": f"IMAP {uuid.uuid4().hex[:6]}", "address": "support@shop.test",
        "credentials": credentials}}, token=t.token))["createChannel"]
    assert data["errors"] == [], data
    assert password not in json.dumps(data)
    return data["channel"]["id"], int(gid.GlobalID.from_id(data["channel"]["id"]).node_id)


async def inbound(account_id: int) -> list[InboundMessage]:
    return await InboundMessage.filter(account_id=account_id).order_by("id")


async def health(api: Api, t: TenantFixture, channel_id: str) -> dict[str, Any]:
    edges = (await api.data(HEALTH, token=t.token))["channels"]["edges"]
    return next(e["node"] for e in edges if e["node"]["id"] == channel_id)


async def append(server: Dovecot, user: str, raw: bytes, folder: str = "INBOX") -> None:
    await asyncio.to_thread(server.append, user, raw, folder)


# --- Polling --------------------------------------------------------------------------------

async def test_mail_appended_to_the_mailbox_becomes_a_ticket_after_one_poll_and_a_second_creates_nothing(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    channel_id, account_id = await imap_channel(api, shop, dovecot, user, password)
    node = await health(api, shop, channel_id)
    assert {"imap_host", "imap_password", "imap_username"} <= set(node["credentialsSet"])
    assert node["health"]["lastOkAt"] is None
    await append(dovecot, user, mail(subject="Parcel never came", sender="Ida Lund <ida@example.org>"))

    first = await polling.poll_account(account_id)
    assert (first.status, first.read) == ("polled", 1), first
    rows = await inbound(account_id)
    assert [r.status for r in rows] == ["ticket_created"], [(r.status, r.error) for r in rows]
    ticket = (await api.data(TICKET, {"id": str(gid.GlobalID("Ticket", str(rows[0].ticket_id)))},
                             token=shop.token))["ticket"]
    assert (ticket["subject"], ticket["channel"], ticket["customer"]["emails"]) == (
        "Parcel never came", "email", ["ida@example.org"])

    second = await polling.poll_account(account_id)
    assert (second.status, second.read) == ("polled", 0)
    assert len(await inbound(account_id)) == 1
    assert (await health(api, shop, channel_id))["health"]["lastOkAt"] is not None
    # Read without a trace: still there, and no \Seen (nor any other flag we set).
    assert dovecot.count(user) == 1
    assert all("\\Seen" not in flags for flags in dovecot.flags(user)), dovecot.flags(user)


async def test_a_poll_after_a_restart_rereads_nothing_and_takes_what_is_new(
        api: Api, rt: Any, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    await append(dovecot, user, mail(subject="First"))
    assert (await polling.poll_account(account_id)).read == 1

    async def poll_in_new_process() -> dict[str, Any]:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "tests/fixtures/imap_poll_once.py", str(account_id)], cwd=ROOT,
            env=process_env(rt), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    again = await poll_in_new_process()  # a new process: nothing but the database remembers
    assert (again["status"], again["read"]) == ("polled", 0), again
    await append(dovecot, user, mail(subject="Second"))
    new = await poll_in_new_process()
    assert (new["status"], new["read"]) == ("polled", 1), new
    rows = await inbound(account_id)
    assert [r.status for r in rows] == ["ticket_created", "ticket_created"]
    assert (await MailboxState.get(account_id=account_id)).last_uid == 2


async def test_a_poll_that_dies_after_committing_a_mail_reads_it_again_once_and_makes_no_second_ticket(
        api: Api, shop: TenantFixture, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    for n in range(3):
        await append(dovecot, user, mail(subject=f"Order question {n}"))
    real_advance = polling._advance

    async def crash_after_the_second(state: Any, owner: str, uid: int) -> None:
        if uid == 2:  # the mail is committed; the worker dies before the watermark moves
            raise SystemExit("killed")
        await real_advance(state, owner, uid)

    monkeypatch.setattr(polling, "_advance", crash_after_the_second)
    with pytest.raises(SystemExit):
        await polling.poll_account(account_id)
    state = await MailboxState.get(account_id=account_id)
    assert (state.last_uid, state.poll_owner) == (1, None)  # the lease is given back even so
    monkeypatch.setattr(polling, "_advance", real_advance)

    result = await polling.poll_account(account_id)
    assert (result.status, result.read) == ("polled", 2)  # UIDs 2 (again) and 3
    rows = await inbound(account_id)
    assert sorted(r.status for r in rows) == ["ticket_created"] * 3, [(r.status, r.error) for r in rows]
    assert len({r.ticket_id for r in rows}) == 3
    assert (await MailboxState.get(account_id=account_id)).last_uid == 3


async def test_a_reply_to_our_reply_threads_onto_the_ticket(
        api: Api, rt: Any, shop: TenantFixture, dovecot: Dovecot, smtp: Any, relay: Any) -> None:
    box, smtp_port = smtp
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password, smtp_port=smtp_port)
    first_id = f"<{uuid.uuid4().hex}@example.org>"
    await append(dovecot, user, mail(subject="Wrong size", sender="Ole Dahl <ole@example.org>", message_id=first_id))
    await polling.poll_account(account_id)
    ticket_pk = (await inbound(account_id))[0].ticket_id
    ticket_id = str(gid.GlobalID("Ticket", str(ticket_pk)))
    await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "Send it back, we swap it."}},
                   token=shop.token)
    assert await drain(rt, shop.id) == []
    ticket = (await api.data(TICKET, {"id": ticket_id}, token=shop.token))["ticket"]
    ours = next(m for m in ticket["messages"]["nodes"] if m["delivery"])["delivery"]
    assert ours["state"] == "SENT", ours
    sent = next(m for m in box.received if m["Message-ID"] == ours["providerMessageId"])
    assert sent["In-Reply-To"] == first_id

    await append(dovecot, user, mail(subject="Re: Wrong size", sender="ole@example.org",
                                     body="Thanks, it is on its way back.", In_Reply_To=ours["providerMessageId"],
                                     References=f"{first_id} {ours['providerMessageId']}"))
    assert (await polling.poll_account(account_id)).read == 1
    rows = await inbound(account_id)
    assert [(r.status, r.ticket_id) for r in rows] == [("ticket_created", ticket_pk), ("threaded", ticket_pk)]
    bodies = [m["body"] for m in (await api.data(TICKET, {"id": ticket_id}, token=shop.token))
              ["ticket"]["messages"]["nodes"]]
    assert "Thanks, it is on its way back." in bodies


async def test_a_changed_uidvalidity_rereads_the_folder_without_duplicates(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    await asyncio.to_thread(dovecot.create_folder, user, "Support")
    _, account_id = await imap_channel(api, shop, dovecot, user, password, imap_folder="Support")
    old = [mail(subject="Old one"), mail(subject="Old two")]
    for raw in old:
        await append(dovecot, user, raw, "Support")
    await append(dovecot, user, mail(subject="Not in the folder"))  # INBOX: never read
    assert (await polling.poll_account(account_id)).read == 2
    before = await MailboxState.get(account_id=account_id)
    assert (before.last_uid, before.folder) == (2, "Support")

    await asyncio.to_thread(dovecot.recreate_folder, user, "Support")  # UIDs start again at 1
    await append(dovecot, user, old[0], "Support")  # restored from a backup: read again, deduplicated
    await append(dovecot, user, mail(subject="New after the restore"), "Support")  # UID 2: not above the old mark
    assert dovecot.uidvalidity(user, "Support") != before.uidvalidity

    result = await polling.poll_account(account_id)
    assert (result.status, result.read) == ("polled", 2)
    rows = await inbound(account_id)
    assert [r.status for r in rows] == ["ticket_created"] * 3, [(r.status, r.error) for r in rows]
    subjects = sorted(await Ticket.filter(id__in=[r.ticket_id for r in rows]).values_list("subject", flat=True))
    assert subjects == ["New after the restore", "Old one", "Old two"]
    after = await MailboxState.get(account_id=account_id)
    assert (after.uidvalidity, after.last_uid) == (dovecot.uidvalidity(user, "Support"), 2)
    assert (await polling.poll_account(account_id)).read == 0


async def test_a_folder_named_with_spaces_and_accents_is_read(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    assert imap.encode_folder("Entwürfe & Co") == '"Entw&APw-rfe &- Co"'  # RFC 3501 5.1.3
    user, password = mailbox_user(dovecot)
    folder = "Réclamations clients"
    wire = imap.encode_folder(folder)  # what a client sends: modified UTF-7, quoted
    await asyncio.to_thread(dovecot.create_folder, user, wire)
    await append(dovecot, user, mail(subject="Colis abîmé"), wire)
    _, account_id = await imap_channel(api, shop, dovecot, user, password, imap_folder=folder)
    result = await polling.poll_account(account_id)
    assert (result.status, result.read) == ("polled", 1), result
    assert (await MailboxState.get(account_id=account_id)).folder == folder


async def test_our_own_reply_filed_in_the_folder_opens_nothing(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    await append(dovecot, user, mail(subject="Re: Where is my parcel? [#1]", sender="Support <support@shop.test>"))
    assert (await polling.poll_account(account_id)).read == 1
    assert [(r.status, r.error, r.ticket_id) for r in await inbound(account_id)] == [("ignored", "own_message", None)]


async def test_a_mail_without_a_message_id_read_again_makes_no_second_ticket(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    raw = b"From: nils@example.org\r\nTo: support@shop.test\r\nSubject: No id\r\n\r\nWhere is my order?\r\n"
    await append(dovecot, user, raw)
    await polling.poll_account(account_id)
    await MailboxState.filter(account_id=account_id).update(last_uid=0)  # as if the poll had died before
    assert (await polling.poll_account(account_id)).read == 1
    rows = await inbound(account_id)
    assert [r.status for r in rows] == ["ticket_created"]
    assert rows[0].provider_id == polling.content_id(raw)


async def test_a_message_over_25_mb_is_recorded_and_skipped_and_the_poll_goes_on(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    assert polling.MAX_BYTES == channel_http.MAX_BYTES == 25 * 1024 * 1024
    user, password = mailbox_user(dovecot)
    channel_id, account_id = await imap_channel(api, shop, dovecot, user, password)
    huge = mail(subject="Photos", body="x" * 100) + b"\r\n" + (b"A" * 76 + b"\r\n") * (26 * 1024 * 1024 // 78)
    await append(dovecot, user, huge)
    await append(dovecot, user, mail(subject="After the photos"))
    result = await polling.poll_account(account_id)
    assert (result.status, result.read, result.too_large) == ("polled", 1, 1)
    failed = (await api.data(INBOUND, {"c": channel_id, "s": "FAILED"}, token=shop.token))[
        "channelInboundMessages"]["nodes"]
    assert [(n["error"], n["size"] > polling.MAX_BYTES, n["ticketId"]) for n in failed] == [("too_large", True, None)]
    assert [r.status for r in await inbound(account_id)] == ["failed", "ticket_created"]
    assert (await MailboxState.get(account_id=account_id)).last_uid == 2
    await MailboxState.filter(account_id=account_id).update(last_uid=0)  # read again: recorded once
    assert (await polling.poll_account(account_id)).too_large == 1
    assert len(await inbound(account_id)) == 2


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_tls_and_starttls_verify_the_server_and_read_its_mail(
        api: Api, shop: TenantFixture, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    user, password = mailbox_user(dovecot)
    port = dovecot.tls_port if security == "tls" else dovecot.port
    channel_id, account_id = await imap_channel(api, shop, dovecot, user, password, imap_security=security,
                                                imap_port=port)
    await append(dovecot, user, mail(subject=f"Over {security}"))
    untrusted = await polling.poll_account(account_id)  # the system's CAs do not know the test's certificate
    assert (untrusted.status, untrusted.error) == ("failed", "imap_tls_failed")
    monkeypatch.setattr(imap, "tls_context", dovecot.tls_context)
    trusted = await polling.poll_account(account_id)
    assert (trusted.status, trusted.read) == ("polled", 1)
    assert (await health(api, shop, channel_id))["health"]["lastError"] == "imap_tls_failed"  # the last error stays


# --- Health ---------------------------------------------------------------------------------

async def test_a_wrong_password_sets_the_health_error_and_the_password_is_nowhere(
        api: Api, shop: TenantFixture, dovecot: Dovecot, caplog: pytest.LogCaptureFixture) -> None:
    user, _ = mailbox_user(dovecot)
    wrong = f"Wrong-{uuid.uuid4().hex}"
    channel_id, account_id = await imap_channel(api, shop, dovecot, user, wrong)
    await append(dovecot, user, mail())
    caplog.set_level(logging.DEBUG)  # every logger, aioimaplib's protocol lines included
    result = await polling.poll_account(account_id)
    assert (result.status, result.error) == ("failed", "imap_auth_failed")
    node = await health(api, shop, channel_id)
    assert node["health"]["lastError"] == "imap_auth_failed" and node["health"]["lastErrorAt"]
    assert wrong not in json.dumps(node)
    assert wrong not in caplog.text and user not in caplog.text
    assert "imap_auth_failed" in caplog.text
    assert await inbound(account_id) == []
    assert (await MailboxState.get(account_id=account_id)).last_uid == 0

    # A server that is not there: another code, and the poll still ends cleanly.
    await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel_id, "credentials": {"imap_port": free_port()}}},
                   token=shop.token)
    refused = await polling.poll_account(account_id)
    assert (refused.status, refused.error) == ("failed", "imap_connection_refused")
    assert (await health(api, shop, channel_id))["health"]["lastError"] == "imap_connection_refused"
    assert wrong not in caplog.text


async def test_a_webhook_only_mailbox_is_not_polled(api: Api, shop: TenantFixture) -> None:
    data = (await api.data(CREATE_CHANNEL, {"i": {"kind": "email", "name": f"Hook {uuid.uuid4().hex[:6]}",
                                                  "address": "hook@shop.test", "credentials": {
                                                      "smtp_host": "127.0.0.1"}}}, token=shop.token))["createChannel"]
    assert not any(c.startswith("imap_") for c in data["channel"]["credentialsSet"])
    account_id = int(gid.GlobalID.from_id(data["channel"]["id"]).node_id)
    assert (await polling.poll_account(account_id)).status == "skipped"
    assert account_id not in [a.id for a in await polling.imap_accounts()]


async def test_two_polls_of_one_mailbox_never_run_at_once(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    for n in range(5):
        await append(dovecot, user, mail(subject=f"Burst {n}"))
    results = await asyncio.gather(*(polling.poll_account(account_id) for _ in range(4)))
    assert sorted(r.status for r in results) == ["busy", "busy", "busy", "polled"], results
    assert sum(r.read for r in results) == 5
    assert [r.status for r in await inbound(account_id)] == ["ticket_created"] * 5


# --- IDLE and switching off -----------------------------------------------------------------

async def _until(check: Any, seconds: float) -> float:
    """Seconds until `check()` is true (fails after `seconds`)."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def test_idle_brings_a_new_mail_in_within_seconds_and_a_switched_off_mailbox_is_left_alone(
        api: Api, shop: TenantFixture, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listening, "IDLE_RENEW", 0.7)  # DONE and a new IDLE several times meanwhile
    listeners, stopping = listening.Listeners(every=0.2), asyncio.Event()
    task = asyncio.create_task(listeners.run(None, stopping))
    try:
        user, password = mailbox_user(dovecot)
        channel_id, account_id = await imap_channel(api, shop, dovecot, user, password)  # added while running

        async def listened() -> bool:
            return await listening.holder(account_id) == listeners.owner

        await _until(listened, 10)
        await asyncio.sleep(0.3)  # the listener's first poll (of an empty folder) and its IDLE
        await append(dovecot, user, mail(subject="Sent a minute ago"))

        async def arrived() -> bool:
            return any(r.status == "ticket_created" for r in await inbound(account_id))

        await _until(arrived, 8)  # the cron is paused: only IDLE can have brought it, within seconds

        await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel_id, "enabled": False}}, token=shop.token)

        async def let_go() -> bool:
            return await listening.holder(account_id) is None and account_id not in listeners.listening()

        await _until(let_go, 5)
        await append(dovecot, user, mail(subject="While switched off"))
        counts = await REAL_POLL_DUE()  # the cron's own run
        assert account_id not in [a.id for a in await polling.imap_accounts()]
        await asyncio.sleep(1.0)
        assert len(await inbound(account_id)) == 1, counts
        assert (await polling.poll_account(account_id)).status == "skipped"

        await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel_id, "enabled": True}}, token=shop.token)
        await _until(listened, 10)  # switched on again: listened to, and what came meanwhile is read

        async def caught_up() -> bool:
            return len(await inbound(account_id)) == 2

        await _until(caught_up, 10)

        # Changed credentials (another folder): the listener starts again with them, and IDLEs there.
        await asyncio.to_thread(dovecot.create_folder, user, "Orders")
        first_task = listeners.running[account_id].task
        await api.data(UPDATE_CHANNEL, {"i": {"channelId": channel_id, "credentials": {"imap_folder": "Orders"}}},
                       token=shop.token)

        async def restarted() -> bool:
            run = listeners.running.get(account_id)
            return first_task.done() and run is not None and not run.task.done() and await listened()

        await _until(restarted, 10)
        await asyncio.sleep(0.5)  # its first poll (of the new folder: read from the start) and its IDLE
        await append(dovecot, user, mail(subject="Into the orders folder"), "Orders")

        async def three() -> bool:
            return len(await inbound(account_id)) == 3

        assert await _until(three, 5) < 5
    finally:
        stopping.set()  # as the worker does when it stops
        started = time.monotonic()
        await asyncio.wait_for(task, 10)
        assert time.monotonic() - started < 5  # stops promptly: IDLE ended, logged out
    assert await listening.holder(account_id) is None
    assert listeners.running == {}


async def test_a_server_without_idle_is_left_to_the_cron_poll(api: Api, shop: TenantFixture) -> None:
    plain = Dovecot.start(extra_config="protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ ID ENABLE UIDPLUS\n}\n")
    listeners, stopping = listening.Listeners(every=0.2), asyncio.Event()
    task = asyncio.create_task(listeners.run(None, stopping))
    try:
        user, password = mailbox_user(plain)
        _, account_id = await imap_channel(api, shop, plain, user, password)

        async def gave_up() -> bool:
            return account_id in listeners.no_idle_until and account_id not in listeners.listening()

        await _until(gave_up, 10)
        assert await listening.holder(account_id) is None  # no IDLE connection held for it
        await asyncio.sleep(0.5)  # later scans do not try it again meanwhile
        assert account_id not in listeners.running
        await append(plain, user, mail(subject="No IDLE here"))
        assert (await polling.poll_account(account_id)).read == 1  # the minute's poll serves it
    finally:
        stopping.set()
        await asyncio.wait_for(task, 10)
        plain.stop()


async def test_the_cron_polls_every_enabled_mailbox_and_skips_switched_off_ones(
        api: Api, shop: TenantFixture, dovecot: Dovecot) -> None:
    on_user, on_password = mailbox_user(dovecot)
    off_user, off_password = mailbox_user(dovecot)
    _, on_id = await imap_channel(api, shop, dovecot, on_user, on_password)
    off_channel, off_id = await imap_channel(api, shop, dovecot, off_user, off_password)
    await api.data(UPDATE_CHANNEL, {"i": {"channelId": off_channel, "enabled": False}}, token=shop.token)
    await append(dovecot, on_user, mail(subject="On"))
    await append(dovecot, off_user, mail(subject="Off"))
    counts = await REAL_POLL_DUE()
    assert counts.get("polled", 0) >= 1, counts
    assert [r.status for r in await inbound(on_id)] == ["ticket_created"]
    assert await inbound(off_id) == []
    assert await MailboxState.filter(account_id=off_id).exists() is False  # never even opened
    assert not await ChannelAccount.filter(id=off_id, last_ok_at__isnull=False).exists()


# --- A real worker process ------------------------------------------------------------------

@pytest.mark.skipif(BACKEND != "postgres", reason="a worker in another process needs the suite's Redis: runs in "
                    "the PostgreSQL suite")
async def test_a_worker_process_listens_with_idle_and_stops_cleanly_on_sigterm(
        api: Api, rt: Any, shop: TenantFixture, dovecot: Dovecot, tmp_path: Path) -> None:
    user, password = mailbox_user(dovecot)
    _, account_id = await imap_channel(api, shop, dovecot, user, password)
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen([sys.executable, "-m", "scripts.cli", "worker", "--grace", "5"],  # noqa: ASYNC220
                              cwd=ROOT, env=process_env(rt), stdout=log, stderr=subprocess.STDOUT)
    try:
        async def listened() -> bool:
            owner = await listening.holder(account_id)
            return owner is not None and f":{worker.pid}:" in owner

        await _until(listened, 30)
        await asyncio.sleep(0.5)
        await append(dovecot, user, mail(subject="Through the worker's IDLE"))

        async def arrived() -> bool:
            return any(r.status == "ticket_created" for r in await inbound(account_id))

        await _until(arrived, 10)
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
        assert await listening.holder(account_id) is None  # its lease given back, not left to expire
        log.seek(0)
        text = log.read()
        assert password not in text and "Through the worker" not in text
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        log.close()
