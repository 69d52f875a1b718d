"""Does an API process's memory level off? Its RSS over tens of thousands of operations.

The app as tests/conftest.py starts it (`common.running_app`: a fresh PostgreSQL database and Redis
db 14, or SQLite with `--sqlite`), in this process, with the lifespan's start-up (heap frozen,
core/heap.py). One admin logs in; then rounds of a mixed workload, each operation a real HTTP
request through the ASGI app: create a customer (with an e-mail), read its 360 view, a page of 20
customers, a ticket created for it, a reply on the ticket, the inbox page, and one login. Every
`--every` operations the process's RSS (from /proc) and the objects the collector tracks are
printed, with the growth per 10,000 operations over the last window: memory that levels off shows
windows whose growth falls towards zero.

    .venv/bin/python bench/memory.py [--operations N] [--every N] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

from common import PASSWORD, Bench, print_header, running_app

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.access.admin import assign_role_by_name  # noqa: E402
from core.identity import add_user, create_tenant  # noqa: E402

CREATE_CUSTOMER = """mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } errors { code } } }"""
VIEW = """query($id: ID!) { customer(id: $id) { displayName emails tags { name } stats { orderCount }
  orders(first: 5) { edges { node { number } } } } }"""
PAGE = "{ customers(first: 20) { edges { node { id displayName emails recentOrders(last: 3) { number } } } } }"
CREATE_TICKET = ("mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id number } "
                 "errors { code } } }")
REPLY = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) { message { id } errors { code } } }"""
INBOX = "{ tickets(first: 20) { edges { node { number subject status customer { displayName } } } } }"
OPERATIONS_PER_ROUND = 7


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def one_round(bench: Bench, headers: dict[str, str], i: int) -> None:
    async def ok(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await bench.graphql(query, headers, variables)
        assert not body.get("errors"), body
        return body["data"]

    made = await ok(CREATE_CUSTOMER, {"i": {"firstName": f"M{i}", "lastName": "Bench",
                                            "emails": [f"m{i}@memory.test"], "country": "DE"}})
    cid = made["createCustomer"]["customer"]["id"]
    await ok(VIEW, {"id": cid})
    await ok(PAGE)
    ticket = await ok(CREATE_TICKET, {"i": {"type": "inquiry", "channel": "email", "subject": f"Where is order {i}?",
                                            "body": "Hallo, wo bleibt meine Bestellung?", "customerId": cid}})
    tid = ticket["createTicket"]["ticket"]["id"]
    await ok(REPLY, {"i": {"ticketId": tid, "body": "Sie ist unterwegs.", "kind": "outbound"}})
    await ok(INBOX)
    await bench.login("admin@memory.test", "memory")


async def main(operations: int, every: int, use_pg: bool) -> None:
    async with running_app(use_pg) as bench:
        print_header("memory")
        tenant = await create_tenant("memory", "Memory")
        admin = await add_user(tenant.id, "admin@memory.test", "Admin", PASSWORD)
        await assign_role_by_name(tenant.id, admin.id, "admin")
        bench.rt.access.invalidate(tenant.id)
        headers = await bench.login("admin@memory.test", "memory")
        for i in range(20):  # warm-up: caches, first-use imports, the detector
            await one_round(bench, headers, -1 - i)
        gc.collect()
        print(f"{bench.dialect} ({bench.services}); {operations:,} operations, {OPERATIONS_PER_ROUND} per round")
        print("| operations | RSS MB | tracked objects | growth MB per 10k ops (this window) | ops/s |")
        print("|---:|---:|---:|---:|---:|")
        start_rss, last_rss, last_at, done = rss_mb(), rss_mb(), time.perf_counter(), 0
        print(f"| 0 | {start_rss:.1f} | {len(gc.get_objects()):,} | | |")
        i = 0
        while done < operations:
            await one_round(bench, headers, i)
            i += 1
            done += OPERATIONS_PER_ROUND
            if done % every < OPERATIONS_PER_ROUND:
                now, rss = time.perf_counter(), rss_mb()
                print(f"| {done:,} | {rss:.1f} | {len(gc.get_objects()):,} | "
                      f"{(rss - last_rss) * 10_000 / every:.2f} | {every / (now - last_at):.0f} |", flush=True)
                last_rss, last_at = rss, now
        print(f"total growth {rss_mb() - start_rss:.1f} MB over {done:,} operations")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=40_000)
    parser.add_argument("--every", type=int, default=4_000)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.operations, args.every, not args.sqlite))
