"""Inbound e-mail to ticket at a seller's size: mails a second through the channels pipeline
(`modules.channels.services.receive`: store the raw mail, parse, dedupe, thread, match the
sender through the blind index, link a quoted order, detect the language, then createTicket's
path with priority, routing and SLA, or the reply on its ticket), against parsing the same MIME
with the standard library alone, in the same run.

On a copy of the seller data set (bench/dataset.py: 100,000 customers; `CREATE DATABASE ...
TEMPLATE`, dropped afterwards, so the data set stays as it was). Each round writes N fresh mails:
70% from customers of the data set (their real, decrypted addresses), 20% from unknown senders (a
customer is created), 10% answers to an earlier mail of the round (threaded by In-Reply-To), in
five languages, a third quoting an order number. Then, interleaved:
- ours, one at a time (one worker slot);
- ours, `worker_jobs` at once (what one worker process runs: WORKER_JOBS, default 6);
- the floor: `BytesParser(policy=default).parsebytes` + the text body, one at a time.

    .venv/bin/python bench/inbound_mail.py [--mails N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402

from core.auth.principal import Principal  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.settings import Settings  # noqa: E402
from modules.channels.models import ChannelAccount  # noqa: E402
from modules.channels.services import AccountInput, create_account, receive  # noqa: E402
from modules.crm.models import CustomerContact  # noqa: E402
from tests.conftest import drop_pg_database, pg_url  # noqa: E402

BODIES = (
    ("Where is my parcel?", "Hallo, mein Paket ist seit zwei Wochen unterwegs. Können Sie bitte nachsehen, wo es ist?"),
    ("Colis non reçu", "Bonjour, je n'ai toujours pas reçu ma commande. Pouvez-vous vérifier le suivi ?"),
    ("Pedido dañado", "Hola, el producto llegó roto y quisiera devolverlo o recibir uno nuevo lo antes posible."),
    ("Wrong size", "Hello, the shoes are one size too small. Can I exchange them for a larger pair, please?"),
    ("返品について", "こんにちは。届いた商品のサイズが合わないので、返品の手続きを教えていただけますか。"),
)


def compose(sender: str, subject: str, body: str, reply_to: str | None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@seller.test"
    msg["Subject"] = f"Re: {subject}" if reply_to else subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    msg["Date"] = "Fri, 04 Dec 2026 10:00:00 +0000"
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    msg.set_content(body)
    return msg.as_bytes()


def mails(rng: random.Random, n: int, known: list[str]) -> list[bytes]:
    out: list[bytes] = []
    ids: list[str] = []
    for i in range(n):
        subject, body = BODIES[i % len(BODIES)]
        if rng.random() < 0.33:
            body += f"\nOrder {rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}-{rng.randint(10**6, 10**7 - 1)}"
        roll = rng.random()
        reply = rng.choice(ids) if roll < 0.10 and ids else None
        sender = (rng.choice(known) if roll < 0.80 else f"new-{uuid.uuid4().hex[:12]}@example.net")
        raw = compose(sender, subject, body, reply)
        ids.append(raw.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].decode().strip())
        out.append(raw)
    return out


async def ours(account: ChannelAccount, batch: list[bytes], at_once: int) -> tuple[float, dict[str, int]]:
    outcomes: dict[str, int] = {}
    gate = asyncio.Semaphore(at_once)

    async def one(raw: bytes) -> None:
        async with gate:
            status = (await receive(account, raw)).status
            outcomes[status] = outcomes.get(status, 0) + 1

    start = time.perf_counter()
    if at_once == 1:
        for raw in batch:
            await one(raw)
    else:
        await asyncio.gather(*(one(raw) for raw in batch))
    return len(batch) / (time.perf_counter() - start), outcomes


def stdlib(batch: list[bytes]) -> float:
    parser = BytesParser(policy=policy.default)
    start = time.perf_counter()
    for raw in batch:
        msg = parser.parsebytes(raw)
        part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if part is not None:
            part.get_content()
    return len(batch) / (time.perf_counter() - start)


async def main(n: int, rounds: int) -> None:
    seller = await dataset.ensure()
    name = await dataset.clone("sellercare_bench_inbound")
    env = {**seller.env, "DATABASE_URL": pg_url(name)}
    env.pop("REDIS_URL")  # the pipeline needs no Redis: live updates go to the in-process one
    settings = Settings.from_env(env)
    rt = await Runtime.start(settings)
    try:
        actor = Principal.system(seller.tenant_id, "bench", "en")
        account, _ = await create_account(actor, "email", AccountInput(
            name="Support", address="support@seller.test", credentials={"smtp_host": "127.0.0.1"}))
        rng = random.Random(7)
        contacts = await CustomerContact.filter(tenant_id=seller.tenant_id, kind="email").limit(5000)
        known = [c.value for c in contacts]
        print(f"# inbound mail -> ticket: {n} mails per round, {rounds} rounds, on a copy of {dataset.DB_NAME} "
              f"({seller.counts.get('customers', 0):,} customers), worker_jobs={settings.worker_jobs}")
        await ours(account, mails(rng, 20, known), 1)  # warm-up: the language detector loads
        one_at_a_time, at_once, floor = [], [], []
        for r in range(rounds):
            rate1, outcomes = await ours(account, mails(rng, n, known), 1)
            rate6, _ = await ours(account, mails(rng, n, known), settings.worker_jobs)
            base = stdlib(mails(rng, n, known))
            one_at_a_time.append(rate1)
            at_once.append(rate6)
            floor.append(base)
            print(f"round {r + 1}: ours {rate1:,.0f} mails/s one at a time, {rate6:,.0f} mails/s "
                  f"{settings.worker_jobs} at once; stdlib parse {base:,.0f} mails/s; outcomes {outcomes}")
        o1, o6, b = statistics.median(one_at_a_time), statistics.median(at_once), statistics.median(floor)
        print(f"median: ours {o1:,.0f} mails/s one at a time ({o1 / b:.3f} of stdlib parsing), "
              f"{o6:,.0f} mails/s {settings.worker_jobs} at once ({o6 / b:.3f}); stdlib {b:,.0f} mails/s")
    finally:
        await rt.stop()
        await drop_pg_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mails", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.mails, args.rounds))
