"""A worker process killed with SIGKILL in the middle of sending a reply: the SMTP server had the mail
but never accepted it (its answer to DATA was pending), so nothing was delivered; the event is still
owed, and its next delivery sends the reply once, under the Message-ID stored before the first try."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from strawberry import relay as gid

from core import events
from core.models import OutboxEvent
from modules.channels.models import InboundMessage
from tests.conftest import BACKEND, Api, TenantFixture, make_tenant, process_env
from tests.modules.test_channels_email import REPLY, TICKET, Mailbox, _free_port, mail, make_channel, post
from workers.settings import compose

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="a worker in another process needs the suite's "
                                "Redis: runs in the PostgreSQL suite")
ROOT = Path(__file__).resolve().parents[2]


class Stalling(Mailbox):
    """Takes a mail's DATA, then answers only once released: the sender dies while waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.arrived.set()
        await asyncio.to_thread(self.released.wait, 120)
        return await super().handle_DATA(server, session, envelope)


async def test_a_worker_killed_mid_send_loses_no_reply_and_sends_it_once(
        api: Api, rt: Any, relay: Any) -> None:
    box = Stalling()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    shop: TenantFixture = await make_tenant(api, rt)
    job_id = ""
    try:
        channel = await make_channel(api, shop, port)
        inbound = await post(api, channel, mail(sender="gus@example.com"))
        ticket_pk = (await InboundMessage.get(id=int(inbound.json()["id"]))).ticket_id
        ticket_id = str(gid.GlobalID("Ticket", str(ticket_pk)))
        await api.data(REPLY, {"i": {"ticketId": ticket_id, "kind": "outbound", "body": "It ships today."}},
                       token=shop.token)
        handlers = compose(rt.modules).event_handlers
        for owed in await OutboxEvent.filter(tenant_id=shop.id, handled_at=None).order_by("created_at"):
            if owed.topic != "channels.deliver":
                await events.dispatch(str(owed.id), handlers)  # the reply's delivery is queued
        deliver = await OutboxEvent.get(tenant_id=shop.id, topic="channels.deliver", handled_at=None)
        job_id = f"event:{deliver.id}"
        await rt.redis.enqueue_job(events.DISPATCH_JOB, str(deliver.id), _job_id=job_id)
        env = process_env(rt)
        worker = subprocess.Popen([sys.executable, "tests/fixtures/jobs_worker.py"], cwd=ROOT, env=env)  # noqa: ASYNC220
        try:
            assert await asyncio.to_thread(box.arrived.wait, 60), "the worker never sent the mail"
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        box.released.set()
        assert box.received == []  # the server never accepted it
        owed = await OutboxEvent.get(id=deliver.id)
        assert owed.handled_at is None  # still owed: its receipt died with the worker's transaction
        # Its redelivery window passes; the next delivery sends it, once.
        await OutboxEvent.filter(id=deliver.id).update(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        await events.dispatch(str(deliver.id), handlers)
        assert await events.dispatch(str(deliver.id), handlers) == []
        assert len(box.received) == 1
        view = await api.data(TICKET, {"id": ticket_id}, token=shop.token)
        delivery = view["ticket"]["messages"]["nodes"][-1]["delivery"]
        assert delivery["state"] == "SENT" and delivery["providerMessageId"] == box.received[0]["Message-ID"]
    finally:
        box.released.set()
        controller.stop()
        for key in (f"arq:in-progress:{job_id}", f"arq:job:{job_id}", f"arq:retry:{job_id}"):
            await rt.redis.delete(key)
        await rt.redis.zrem("arq:queue", job_id)
