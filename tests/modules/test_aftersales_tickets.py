"""Tickets over HTTP: creation (numbering, language detection, links checked in the tenant), the
status machine, messages, the inbox connection with its filters and a constant query count, and
who may write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from strawberry import relay

from core.access.admin import create_role, set_assignment, set_grant
from core.auth.principal import Principal
from core.graphql.node import to_global_id
from core.identity import add_user
from modules.aftersales.models import Ticket, TicketEvent, TicketMessage
from modules.aftersales.services.tickets import lifecycle as ticket_service
from modules.crm.graphql.types import CustomerType, OrderType
from modules.crm.models import Customer, Order, OrderLine
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.querycount import count_queries

CREATE = """mutation($i: CreateTicketInput!) { createTicket(input: $i) {
  ticket { id number type channel subject language status priority tags slaState
           customer { displayName } order { number } orderLines { sku }
           lastMessage { kind body attachments { name contentType size url } author { id } } }
  errors { code field message } } }"""
STATUS = """mutation($i: ChangeTicketStatusInput!) { changeTicketStatus(input: $i) {
  ticket { status resolvedAt closedAt } errors { code field message } } }"""
MESSAGE = """mutation($i: AddTicketMessageInput!) { addTicketMessage(input: $i) {
  message { kind body author { email } } ticket { status firstResponseAt } errors { code field } } }"""
TICKETS = """query($f: TicketFilterInput, $o: TicketOrder, $first: Int, $after: String) {
  tickets(first: $first, after: $after, filter: $f, orderBy: $o) {
    edges { node { id number subject status priority tags slaState
                   customer { displayName } assignee { email } lastMessage { body createdAt } } }
    pageInfo { hasNextPage endCursor } } }"""


def pk(gid: str) -> int:
    return int(relay.GlobalID.from_id(gid).node_id)


async def create(api: Api, t: TenantFixture, token: str | None = None, **fields: Any) -> dict[str, Any]:
    values = {"type": "inquiry", "channel": "email", "subject": "Where is my parcel?",
              "body": "Hello, my parcel has not arrived yet. Can you check please?", **fields}
    data = await api.data(CREATE, {"i": values}, token=token or t.token)
    assert data["createTicket"]["errors"] == [], data
    return data["createTicket"]["ticket"]


async def customer_with_order(t: TenantFixture, name: str = "Ana") -> tuple[Customer, Order, list[OrderLine]]:
    customer = await Customer.create(tenant_id=t.id, first_name=name, display_name=name)
    order = await Order.create(tenant_id=t.id, customer_id=customer.id, number=f"{name}-1", currency="EUR",
                               total=3000, placed_at=datetime.now(UTC))
    lines = [await OrderLine.create(tenant_id=t.id, order_id=order.id, sku=f"SKU-{i}", quantity=1,
                                    unit_price=1000, currency="EUR") for i in range(3)]
    return customer, order, lines


async def test_create_links_customer_order_lines_and_detects_the_language(api: Api, tenant: TenantFixture) -> None:
    customer, order, lines = await customer_with_order(tenant)
    ticket = await create(
        api, tenant, type="return", channel="web_form", subject="Producto roto",
        body="Hola, el jarrón llegó roto. Quiero devolverlo y recibir el reembolso, por favor.",
        orderId=str(to_global_id(OrderType, order.id)), orderLineIds=[str(lines[1].id)], tags=[" Fragile ", "fragile"],
        attachments=[{"name": "photo.jpg", "contentType": "image/JPEG", "size": 2048,
                      "url": "https://files.example.com/photo.jpg"}])
    assert ticket["language"] == "es"
    assert (ticket["type"], ticket["channel"], ticket["status"], ticket["priority"]) == (
        "return", "web_form", "new", "normal")
    # The order's customer is linked when only the order is given.
    assert ticket["customer"] == {"displayName": "Ana"} and ticket["order"] == {"number": "Ana-1"}
    assert ticket["orderLines"] == [{"sku": "SKU-1"}] and ticket["tags"] == ["fragile"]
    assert ticket["lastMessage"] == {"kind": "inbound", "body": "Hola, el jarrón llegó roto. Quiero devolverlo y "
                                     "recibir el reembolso, por favor.", "author": None, "attachments": [
        {"name": "photo.jpg", "contentType": "image/jpeg", "size": 2048, "url": "https://files.example.com/photo.jpg"}]}
    row = await Ticket.get(id=pk(ticket["id"]))
    assert row.customer_id == customer.id and row.tenant_id == tenant.id
    assert await TicketEvent.filter(ticket_id=row.id).values_list("kind", flat=True) == ["created"]
    # A language given by the caller wins, in canonical form; a short text stays undetected.
    given = await create(api, tenant, subject="Hi", body="ok", language="pt_br")
    assert given["language"] == "pt-BR"
    unsure = await create(api, tenant, subject="Hi", body="ok")
    assert unsure["language"] == ""


async def test_numbers_are_per_tenant_and_unique_under_concurrency(api: Api, tenant: TenantFixture,
                                                                   other_tenant: TenantFixture) -> None:
    actor = Principal(tenant.admin_id, tenant.id)
    data = ticket_service.NewTicket(type="inquiry", channel="chat", subject="Parallel", body="Hello there",
                                    language="en")
    made = await asyncio.gather(*(ticket_service.create_ticket(actor, data) for _ in range(8)))
    assert sorted(t.number for t in made) == list(range(1, 9))
    assert (await create(api, other_tenant))["number"] == 1
    assert (await create(api, tenant))["number"] == 9


async def test_links_of_another_tenant_are_not_found_and_nothing_is_written(
        api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    theirs, their_order, their_lines = await customer_with_order(other_tenant, "Other")
    mine, my_order, _ = await customer_with_order(tenant, "Mine")
    _, second, their_lines_too = await customer_with_order(tenant, "Second")
    cases: list[tuple[dict[str, Any], list[tuple[str, list[str]]]]] = [
        ({"customerId": str(to_global_id(CustomerType, theirs.id))}, [("NOT_FOUND", ["customerId"])]),
        ({"orderId": str(to_global_id(OrderType, their_order.id))}, [("NOT_FOUND", ["orderId"])]),
        ({"orderId": str(to_global_id(OrderType, my_order.id)), "orderLineIds": [str(their_lines[0].id),
                                                                                  str(their_lines_too[0].id)]},
         [("NOT_FOUND", ["orderLineIds", "0"]), ("NOT_FOUND", ["orderLineIds", "1"])]),
        ({"customerId": str(to_global_id(CustomerType, theirs.id)), "orderId": str(to_global_id(OrderType, my_order.id))},
         [("NOT_FOUND", ["customerId"])]),
        ({"customerId": str(to_global_id(CustomerType, mine.id)), "orderId": str(to_global_id(OrderType, second.id))},
         [("ORDER_OF_ANOTHER_CUSTOMER", ["orderId"])]),
        ({"orderLineIds": ["1"]}, [("ORDER_REQUIRED", ["orderLineIds"])]),
        ({"assigneeId": str(to_global_id_user(other_tenant.admin_id))}, [("NOT_FOUND", ["assigneeId"])]),
    ]
    for extra, expected in cases:
        data = await api.data(CREATE, {"i": {"type": "inquiry", "channel": "email", "subject": "S", "body": "B",
                                            **extra}}, token=tenant.token)
        got = [(e["code"], e["field"]) for e in data["createTicket"]["errors"]]
        assert got == expected, extra
        assert data["createTicket"]["ticket"] is None
    assert not await Ticket.filter(tenant_id=tenant.id).exists()
    assert not await TicketMessage.filter(tenant_id=tenant.id).exists()


def to_global_id_user(user_id: int) -> str:
    return str(relay.GlobalID("User", str(user_id)))


async def test_bad_values_are_field_errors(api: Api, tenant: TenantFixture) -> None:
    data = await api.data(CREATE, {"i": {
        "type": "question", "channel": "fax", "subject": "   ", "body": " ", "priority": "asap", "language": "xx-!!",
        "tags": [""], "attachments": [{"name": "", "contentType": "jpeg", "size": -1, "url": "javascript:x"}]}},
        token=tenant.token)
    got = {tuple(e["field"]): e["code"] for e in data["createTicket"]["errors"]}
    assert got == {
        ("type",): "INVALID_CHOICE", ("channel",): "INVALID_CHOICE", ("priority",): "INVALID_CHOICE",
        ("subject",): "EMPTY_SUBJECT", ("body",): "EMPTY_BODY", ("language",): "INVALID_LANGUAGE",
        ("tags", "0"): "INVALID_TAG", ("attachments", "0", "name"): "INVALID_ATTACHMENT",
        ("attachments", "0", "contentType"): "INVALID_ATTACHMENT", ("attachments", "0", "size"): "INVALID_ATTACHMENT",
        ("attachments", "0", "url"): "INVALID_ATTACHMENT"}
    assert not await Ticket.filter(tenant_id=tenant.id).exists()
    # Translated, with the choices kept.
    es = await api.data(CREATE, {"i": {"type": "question", "channel": "email", "subject": "S", "body": "B"}},
                        token=tenant.token, lang="es")
    message = es["createTicket"]["errors"][0]["message"]
    assert "inquiry, complaint" in message and not message.startswith("Choose one of")


async def test_status_machine(api: Api, tenant: TenantFixture) -> None:
    ticket = await create(api, tenant)

    async def move(status: str, **kw: Any) -> dict[str, Any]:
        return (await api.data(STATUS, {"i": {"ticketId": ticket["id"], "status": status}}, token=tenant.token,
                               **kw))["changeTicketStatus"]

    assert (await move("resolved"))["ticket"]["resolvedAt"] is not None
    refused = await move("pending_customer", lang="es")
    assert refused["ticket"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_TRANSITION", ["status"])]
    assert "resolved" in refused["errors"][0]["message"] and "pending_customer" in refused["errors"][0]["message"]
    assert not refused["errors"][0]["message"].startswith("A ticket cannot")
    closed = await move("closed")
    assert closed["ticket"]["status"] == "closed" and closed["ticket"]["closedAt"] is not None
    assert [e["code"] for e in (await move("resolved"))["errors"]] == ["INVALID_TRANSITION"]
    assert (await Ticket.get(id=pk(ticket["id"]))).status == "closed"
    bad = await move("done")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_CHOICE", ["status"])]
    reopened = await api.data("mutation($i: ReopenTicketInput!) { reopenTicket(input: $i) { ticket { status "
                              "resolvedAt closedAt } errors { code } } }", {"i": {"ticketId": ticket["id"]}},
                              token=tenant.token)
    assert reopened["reopenTicket"] == {"ticket": {"status": "open", "resolvedAt": None, "closedAt": None},
                                        "errors": []}
    events = await api.data("query($id: ID!) { ticket(id: $id) { events { edges { node { kind data actor { email } } } } } }",
                            {"id": ticket["id"]}, token=tenant.token)
    kinds = [(e["node"]["kind"], e["node"]["data"]) for e in events["ticket"]["events"]["edges"]]
    assert kinds[1:] == [("status_changed", {"from": "new", "to": "resolved"}),
                         ("status_changed", {"from": "resolved", "to": "closed"}),
                         ("status_changed", {"from": "closed", "to": "open"})]
    assert events["ticket"]["events"]["edges"][1]["node"]["actor"] == {"email": tenant.admin_email}
    audit = await api.data('{ auditLog(first: 10, filter: {objectType: "Ticket"}) { edges { node { action } } } }',
                           token=tenant.token)
    assert [e["node"]["action"] for e in audit["auditLog"]["edges"]].count("ticket.status") == 3


async def test_messages_reply_and_customer_answer(api: Api, tenant: TenantFixture) -> None:
    ticket = await create(api, tenant)

    async def say(kind: str, body: str) -> dict[str, Any]:
        return (await api.data(MESSAGE, {"i": {"ticketId": ticket["id"], "kind": kind, "body": body}},
                               token=tenant.token))["addTicketMessage"]

    reply = await say("outbound", "We are checking with the carrier.")
    assert reply["message"] == {"kind": "outbound", "body": "We are checking with the carrier.",
                                "author": {"email": tenant.admin_email}}
    first = reply["ticket"]["firstResponseAt"]
    assert reply["ticket"]["status"] == "open" and first is not None
    assert (await say("outbound", "Still checking."))["ticket"]["firstResponseAt"] == first
    await api.data(STATUS, {"i": {"ticketId": ticket["id"], "status": "pending_customer"}}, token=tenant.token)
    answer = await say("inbound", "Thanks, any news?")
    assert answer["ticket"]["status"] == "open" and answer["message"]["author"] is None
    note = await say("note", "Carrier says lost.")
    assert note["message"]["kind"] == "note"
    bad = (await api.data(MESSAGE, {"i": {"ticketId": ticket["id"], "kind": "sms", "body": " "}},
                          token=tenant.token))["addTicketMessage"]
    assert {(e["code"], tuple(e["field"])) for e in bad["errors"]} == {("INVALID_CHOICE", ("kind",)),
                                                                       ("EMPTY_BODY", ("body",))}
    page = await api.data("query($id: ID!, $after: String) { ticket(id: $id) { messages(first: 2, after: $after) { "
                          "edges { node { kind body } } pageInfo { hasNextPage endCursor } } } }",
                          {"id": ticket["id"]}, token=tenant.token)
    messages = page["ticket"]["messages"]
    assert [e["node"]["kind"] for e in messages["edges"]] == ["inbound", "outbound"]
    rest = await api.data("query($id: ID!, $after: String) { ticket(id: $id) { messages(first: 10, after: $after) { "
                          "edges { node { kind body } } } } }",
                          {"id": ticket["id"], "after": messages["pageInfo"]["endCursor"]}, token=tenant.token)
    assert [e["node"]["body"] for e in rest["ticket"]["messages"]["edges"]] == [
        "Still checking.", "Thanks, any news?", "Carrier says lost."]
    await api.data(STATUS, {"i": {"ticketId": ticket["id"], "status": "closed"}}, token=tenant.token)
    closed = (await api.data(MESSAGE, {"i": {"ticketId": ticket["id"], "kind": "outbound", "body": "Hello?"}},
                             token=tenant.token))["addTicketMessage"]
    assert [e["code"] for e in closed["errors"]] == ["TICKET_CLOSED"]


async def test_inbox_filters_and_orderings(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    customer, order, _ = await customer_with_order(tenant, "Filip")
    a = await create(api, tenant, subject="Broken lamp", priority="low", tags=["vip"],
                     orderId=str(to_global_id(OrderType, order.id)))
    b = await create(api, tenant, subject="Late parcel", priority="urgent", channel="chat")
    c = await create(api, tenant, subject="Invoice", priority="high", type="refund",
                     assigneeId=to_global_id_user(tenant.admin_id))
    await create(api, other_tenant, subject="Broken lamp")
    await api.data(MESSAGE, {"i": {"ticketId": b["id"], "kind": "inbound", "body": "The tracking number is ZX81"}},
                   token=tenant.token)
    now = datetime.now(UTC)
    await Ticket.filter(id=pk(a["id"])).update(next_sla_due=now + timedelta(minutes=20))
    await Ticket.filter(id=pk(b["id"])).update(next_sla_due=now - timedelta(minutes=5), sla_breached=True)
    await Ticket.filter(id=pk(c["id"])).update(next_sla_due=now + timedelta(hours=5))

    async def subjects(f: dict[str, Any] | None = None, o: dict[str, Any] | None = None) -> list[str]:
        data = await api.data(TICKETS, {"f": f, "o": o}, token=tenant.token)
        return [e["node"]["subject"] for e in data["tickets"]["edges"]]

    assert await subjects() == ["Invoice", "Late parcel", "Broken lamp"]
    assert await subjects({"text": "lamp"}) == ["Broken lamp"]
    assert await subjects({"text": "zx81"}) == ["Late parcel"]
    assert await subjects({"tag": "VIP"}) == ["Broken lamp"]
    assert await subjects({"channel": ["chat"]}) == ["Late parcel"]
    assert await subjects({"type": ["refund"]}) == ["Invoice"]
    assert await subjects({"priority": ["low", "high"]}) == ["Invoice", "Broken lamp"]
    assert await subjects({"unassigned": True}) == ["Late parcel", "Broken lamp"]
    assert await subjects({"assigneeId": to_global_id_user(tenant.admin_id)}) == ["Invoice"]
    assert await subjects({"customerId": str(to_global_id(CustomerType, customer.id))}) == ["Broken lamp"]
    assert await subjects({"orderId": str(to_global_id(OrderType, order.id))}) == ["Broken lamp"]
    assert await subjects({"slaBreached": True}) == ["Late parcel"]
    assert await subjects({"slaDueWithinMinutes": 30}) == ["Late parcel", "Broken lamp"]
    assert await subjects({"status": ["new"], "createdFrom": (now - timedelta(hours=1)).isoformat()}) == [
        "Invoice", "Late parcel", "Broken lamp"]
    assert await subjects({"createdTo": (now - timedelta(hours=1)).isoformat()}) == []
    assert await subjects(o={"field": "PRIORITY", "direction": "DESC"}) == ["Late parcel", "Invoice", "Broken lamp"]
    assert await subjects(o={"field": "NEXT_SLA_DUE", "direction": "ASC"}) == ["Late parcel", "Broken lamp", "Invoice"]
    states = await api.data(TICKETS, {"o": {"field": "NEXT_SLA_DUE", "direction": "ASC"}}, token=tenant.token)
    assert [e["node"]["slaState"] for e in states["tickets"]["edges"]] == ["breached", "due_soon", "ok"]
    # Keyset pages by priority walk every ticket once.
    seen, after = [], None
    while True:
        page = await api.data(TICKETS, {"o": {"field": "PRIORITY", "direction": "ASC"}, "first": 1, "after": after},
                              token=tenant.token)
        seen += [e["node"]["subject"] for e in page["tickets"]["edges"]]
        if not page["tickets"]["pageInfo"]["hasNextPage"]:
            break
        after = page["tickets"]["pageInfo"]["endCursor"]
    assert seen == ["Broken lamp", "Invoice", "Late parcel"]
    for bad, code in (({"status": ["done"]}, "INVALID_CHOICE"), ({"slaDueWithinMinutes": -1}, "OUT_OF_RANGE"),
                      ({"teamId": "nope"}, "INVALID_ID")):
        body = await api.post(TICKETS, {"f": bad}, token=tenant.token)
        assert body["errors"][0]["extensions"]["code"] == code, bad
    # Another tenant's ticket is not found, by ticket() or node().
    assert (await api.data("query($id: ID!) { ticket(id: $id) { id } }", {"id": a["id"]},
                           token=other_tenant.token))["ticket"] is None
    assert (await api.data("query($id: ID!) { node(id: $id) { id } }", {"id": a["id"]},
                           token=other_tenant.token))["node"] is None
    node = await api.data("query($id: ID!) { node(id: $id) { ... on Ticket { subject } } }", {"id": a["id"]},
                          token=tenant.token)
    assert node["node"] == {"subject": "Broken lamp"}


async def test_an_inbox_page_costs_the_same_queries_whatever_its_size(api: Api, tenant: TenantFixture) -> None:
    for i in range(12):
        customer, _, _ = await customer_with_order(tenant, f"C{i}")
        t = await create(api, tenant, subject=f"T{i}", tags=["a", f"t{i}"],
                         customerId=str(to_global_id(CustomerType, customer.id)),
                         assigneeId=to_global_id_user(tenant.admin_id))
        await api.data(MESSAGE, {"i": {"ticketId": t["id"], "kind": "outbound", "body": f"reply {i}"}},
                       token=tenant.token)
    await api.data(TICKETS, {"first": 1}, token=tenant.token)
    with count_queries() as small:
        page = await api.data(TICKETS, {"first": 2}, token=tenant.token)
    assert len(page["tickets"]["edges"]) == 2
    with count_queries() as large:
        page = await api.data(TICKETS, {"first": 12}, token=tenant.token)
    nodes = [e["node"] for e in page["tickets"]["edges"]]
    assert len(nodes) == 12
    assert nodes[0]["customer"] == {"displayName": "C11"} and nodes[0]["assignee"] == {"email": tenant.admin_email}
    assert nodes[0]["lastMessage"]["body"] == "reply 11" and nodes[0]["tags"] == ["a", "t11"]
    assert len(small) == len(large), large


async def test_writing_needs_the_write_permission(api: Api, rt: Any, tenant: TenantFixture) -> None:
    actor = Principal(tenant.admin_id, tenant.id)
    role = await create_role(rt, actor, "ticket-reader")
    await set_grant(rt, actor, role.id, "aftersales.ticket:read", True)
    reader = await add_user(tenant.id, f"reader@{tenant.slug}.test", "Reader", PASSWORD)
    await set_assignment(rt, actor, reader.id, role.id, True)
    token = await api.login(f"reader@{tenant.slug}.test", tenant.slug)
    ticket = await create(api, tenant)
    body = await api.post(CREATE, {"i": {"type": "inquiry", "channel": "email", "subject": "S", "body": "B"}},
                          token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.post(STATUS, {"i": {"ticketId": ticket["id"], "status": "open"}}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Ticket.get(id=pk(ticket["id"]))).status == "new"
    # Reading is allowed; the customer needs crm.customer:read and the assignee team.user:read, which this
    # role lacks: null, with FORBIDDEN at their paths.
    body = await api.post(TICKETS, token=token)
    seen = body["data"]
    assert [e["node"]["subject"] for e in seen["tickets"]["edges"]] == ["Where is my parcel?"]
    assert {tuple(e["path"][-1:]): e["extensions"]["code"] for e in body["errors"]} == {
        ("customer",): "FORBIDDEN", ("assignee",): "FORBIDDEN"}
