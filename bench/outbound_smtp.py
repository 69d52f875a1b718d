"""Outbound replies through the SMTP path: replies a second from an agent's reply to the mail
accepted by the server, against aiosmtplib sending the same mails straight to the same server, in
the same run.

On a copy of the seller data set (bench/dataset.py, `CREATE DATABASE ... TEMPLATE`, dropped
afterwards), with an SMTP server of the benchmark's own (aiosmtpd, answering 250 at once, in this
process). Set-up, not timed: N mails come in (bench/inbound_mail.py's way) and become tickets, and an
agent's reply is added to each (`add_message`, which owes `aftersales.reply_added`). Timed, in
interleaved rounds:
- ours: the owed events run through the worker's handlers (`core.events.dispatch`, a receipt row
  per handler: channels' `prepare` queues a delivery with its Message-ID, its `deliver` renders
  the reply and sends it over SMTP and records the state), `worker_jobs` at once as one worker
  process runs them, until every reply is SENT;
- aiosmtplib: the same number of mails, the same size, sent with `aiosmtplib.send`, `worker_jobs`
  at once, a connection each (as `deliver` opens one per reply).
The relay's way from the outbox to arq is bench/outbox.py's subject and not in these figures.

    .venv/bin/python bench/outbound_smtp.py [--replies N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402
import dataset  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from inbound_mail import mails  # noqa: E402

from core import events  # noqa: E402
from core.auth.principal import Principal  # noqa: E402
from core.models import OutboxEvent  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from modules.aftersales.services import REPLY_ADDED, add_message  # noqa: E402
from modules.channels.models import Delivery  # noqa: E402
from modules.channels.services import DELIVER, AccountInput, create_account, receive  # noqa: E402
from modules.crm.models import CustomerContact  # noqa: E402
from tests.conftest import drop_pg_database, pg_url  # noqa: E402
from workers.settings import compose  # noqa: E402

REPLY = ("Thank you for your message. We have checked your order: the parcel left our warehouse yesterday "
         "and should reach you within three working days. Here is the tracking link for it.")


class Accepting:
    """An SMTP server that takes every mail at once (the server's time is not ours to measure)."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.count += 1
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def owe_replies(tenant_id: int, account: Any, n: int, known: list[str], rng: random.Random) -> list[int]:
    """N tickets from inbound mail, each with an agent's reply owed: the replies' message ids."""
    actor = Principal.system(tenant_id, "bench", "en")
    ticket_ids = []
    for raw in mails(rng, n * 2, known):
        outcome = await receive(account, raw)
        if outcome.status == "ticket_created" and outcome.ticket_id is not None:
            ticket_ids.append(outcome.ticket_id)
        if len(ticket_ids) == n:
            break
    replies = []
    for ticket_id in ticket_ids:
        message, _ = await add_message(actor, ticket_id, "outbound", REPLY, language="en")
        replies.append(message.id)
    return replies


async def ours(handlers: Any, at_once: int, replies: list[int]) -> float:
    """Run every owed event (reply_added, then the deliveries it queues) until each reply is sent."""
    gate = asyncio.Semaphore(at_once)

    async def run(event_id: str) -> None:
        async with gate:
            await events.dispatch(event_id, handlers)

    start = time.perf_counter()
    while True:
        owed = await (OutboxEvent.filter(handled_at=None, failed_at=None, topic__in=(REPLY_ADDED, DELIVER))
                      .values_list("id", flat=True))
        if not owed:
            break
        await asyncio.gather(*(run(str(i)) for i in owed))
    elapsed = time.perf_counter() - start
    sent = await Delivery.filter(message_id__in=replies, state="sent").count()
    if sent != len(replies):
        raise RuntimeError(f"{sent} of {len(replies)} replies were sent")
    return len(replies) / elapsed


async def direct(port: int, at_once: int, n: int) -> float:
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> None:
        msg = EmailMessage()
        msg["From"] = "Support <support@seller.test>"
        msg["To"] = f"customer-{i}@example.net"
        msg["Subject"] = f"Re: Where is my parcel? [#{i}]"
        msg["Message-ID"] = f"<direct-{i}-{time.time_ns()}@seller.test>"
        msg.set_content(REPLY)
        async with gate:
            await aiosmtplib.send(msg, hostname="127.0.0.1", port=port, start_tls=False, use_tls=False)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return n / (time.perf_counter() - start)


async def main(n: int, rounds: int) -> None:
    seller = await dataset.ensure()
    name = await dataset.clone("sellercare_bench_outbound")
    env = {**seller.env, "DATABASE_URL": pg_url(name)}
    env.pop("REDIS_URL")  # the handlers need no Redis
    settings = Settings.from_env(env)
    server = Accepting()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    rt = await Runtime.start(settings)
    try:
        actor = Principal.system(seller.tenant_id, "bench", "en")
        account, _ = await create_account(actor, "email", AccountInput(
            name="Support", address="support@seller.test", credentials={
                "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}))
        handlers = compose(rt.modules).event_handlers
        rng = random.Random(11)
        known = [c.value for c in await CustomerContact.filter(tenant_id=seller.tenant_id, kind="email").limit(5000)]
        print(f"# outbound replies over SMTP: {n} replies per round, {rounds} rounds, on a copy of "
              f"{dataset.DB_NAME}, worker_jobs={settings.worker_jobs}, aiosmtpd on 127.0.0.1 in this process")
        warm = await owe_replies(seller.tenant_id, account, 10, known, rng)
        await ours(handlers, settings.worker_jobs, warm)
        mine, theirs = [], []
        for r in range(rounds):
            replies = await owe_replies(seller.tenant_id, account, n, known, rng)
            rate = await ours(handlers, settings.worker_jobs, replies)
            base = await direct(port, settings.worker_jobs, n)
            mine.append(rate)
            theirs.append(base)
            print(f"round {r + 1}: ours {rate:,.0f} replies/s, aiosmtplib alone {base:,.0f} mails/s, "
                  f"ratio {rate / base:.2f}")
        o, b = statistics.median(mine), statistics.median(theirs)
        print(f"median: ours {o:,.0f} replies/s, aiosmtplib alone {b:,.0f} mails/s, ratio {o / b:.2f}; "
              f"server took {server.count:,} mails")
    finally:
        await rt.stop()
        controller.stop()
        await drop_pg_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.replies, args.rounds))
