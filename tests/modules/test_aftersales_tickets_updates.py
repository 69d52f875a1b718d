"""Changing tickets over HTTP: updateTicket (assignee, team, priority, links, tags) with its events
and audit, batchUpdateTickets (all or nothing), and the tickets on crm's Customer (field and timeline)."""

from __future__ import annotations

from typing import Any

from core.graphql.node import to_global_id
from core.identity import add_user
from modules.aftersales.models import Ticket, TicketEvent, TicketTag
from modules.aftersales.services.tickets.batch import MAX_BATCH
from modules.crm.graphql.types import CustomerType, OrderType
from modules.team.graphql.types import TeamType
from modules.team.models import Team
from tests.conftest import PASSWORD, Api, TenantFixture
from tests.modules.test_aftersales_tickets import STATUS, create, customer_with_order, pk, to_global_id_user

UPDATE = """mutation($i: UpdateTicketInput!) { updateTicket(input: $i) {
  ticket { assignee { email } team { name } priority priorityOverridden type subject tags
           customer { displayName } order { number } }
  errors { code field } } }"""
BATCH = """mutation($i: BatchUpdateTicketsInput!) { batchUpdateTickets(input: $i) {
  tickets { number status priority tags assignee { email } } errors { code field message } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  tickets(first: 10) { edges { node { subject } } }
  timeline(first: 10) { edges { node { kind summary linkType } } } } }"""


async def test_update_ticket_records_events_and_audit(api: Api, tenant: TenantFixture,
                                                      other_tenant: TenantFixture) -> None:
    ticket = await create(api, tenant, tags=["old"])
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    team = await Team.create(tenant_id=tenant.id, name="Returns")
    customer, order, _ = await customer_with_order(tenant, "Lena")

    async def update(token: str = tenant.token, **fields: Any) -> dict[str, Any]:
        return (await api.data(UPDATE, {"i": {"ticketId": ticket["id"], **fields}}, token=token))["updateTicket"]

    done = await update(assigneeId=to_global_id_user(agent.id), teamId=str(to_global_id(TeamType, team.id)),
                        priority="high", type="complaint", subject="  Broken   vase ", tags=["VIP", "fragile"],
                        orderId=str(to_global_id(OrderType, order.id)))
    assert done == {"ticket": {"assignee": {"email": agent.email}, "team": {"name": "Returns"}, "priority": "high",
                               "priorityOverridden": True, "type": "complaint", "subject": "Broken vase",
                               "tags": ["fragile", "vip"], "customer": {"displayName": "Lena"},
                               "order": {"number": "Lena-1"}}, "errors": []}
    kinds = await TicketEvent.filter(ticket_id=pk(ticket["id"])).order_by("id").values_list("kind", "data")
    assert kinds[1:] == [
        ("assigned", {"from": None, "to": agent.id}), ("team_changed", {"from": None, "to": team.id}),
        ("priority_changed", {"from": "normal", "to": "high"}), ("type_changed", {"from": "inquiry", "to": "complaint"}),
        ("subject_changed", {"from": "Where is my parcel?", "to": "Broken vase"}),
        ("links_changed", {"from": {"customer": None, "order": None}, "to": {"customer": customer.id,
                                                                              "order": order.id}}),
        ("tags_changed", {"added": ["vip", "fragile"], "removed": ["old"]})]
    audit = await api.data('{ auditLog(first: 10, filter: {objectType: "Ticket"}) { edges { node { action after } } } }',
                           token=tenant.token)
    assert {"action": "ticket.assign", "after": {"assignee": agent.id}} in [e["node"] for e in audit["auditLog"]["edges"]]
    # Unassigning is null; an unchanged value writes no event.
    again = await update(assigneeId=None, priority="high")
    assert again["ticket"]["assignee"] is None and again["errors"] == []
    assert await TicketEvent.filter(ticket_id=pk(ticket["id"]), kind="priority_changed").count() == 1
    # Another tenant's team, customer or member: not found, nothing changes.
    their_team = await Team.create(tenant_id=other_tenant.id, name="Theirs")
    theirs, _, _ = await customer_with_order(other_tenant, "Theirs")
    bad = await update(teamId=str(to_global_id(TeamType, their_team.id)),
                       customerId=str(to_global_id(CustomerType, theirs.id)),
                       assigneeId=to_global_id_user(other_tenant.admin_id), priority="whenever", subject="")
    assert {(e["code"], tuple(e["field"])) for e in bad["errors"]} == {
        ("INVALID_CHOICE", ("priority",)), ("EMPTY_SUBJECT", ("subject",))}
    bad = await update(teamId=str(to_global_id(TeamType, their_team.id)),
                       customerId=str(to_global_id(CustomerType, theirs.id)),
                       assigneeId=to_global_id_user(other_tenant.admin_id))
    assert {(e["code"], tuple(e["field"])) for e in bad["errors"]} == {
        ("NOT_FOUND", ("teamId",)), ("NOT_FOUND", ("customerId",)), ("NOT_FOUND", ("assigneeId",))}
    row = await Ticket.get(id=pk(ticket["id"]))
    assert (row.team_id, row.customer_id, row.assignee_id) == (team.id, customer.id, None)
    # Another tenant cannot update it at all.
    other = (await api.data(UPDATE, {"i": {"ticketId": ticket["id"], "priority": "low"}},
                            token=other_tenant.token))["updateTicket"]
    assert other["errors"] == [{"code": "NOT_FOUND", "field": ["ticketId"]}]


async def test_batch_update_is_all_or_nothing(api: Api, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    a = await create(api, tenant, tags=["x"])
    b = await create(api, tenant)
    c = await create(api, tenant)
    theirs = await create(api, other_tenant)
    await api.data(STATUS, {"i": {"ticketId": c["id"], "status": "closed"}}, token=tenant.token)

    async def batch(**fields: Any) -> dict[str, Any]:
        return (await api.data(BATCH, {"i": fields}, token=tenant.token))["batchUpdateTickets"]

    refused = await batch(ticketIds=[a["id"], theirs["id"], c["id"], b["id"]], status="resolved", priority="high",
                          addTags=["bulk"])
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [
        ("NOT_FOUND", ["ticketIds", "1"]), ("INVALID_TRANSITION", ["ticketIds", "2"])]
    assert f"{c['number']}" in refused["errors"][1]["message"] and refused["tickets"] == []
    rows = await Ticket.filter(tenant_id=tenant.id).order_by("number")
    assert [(r.status, r.priority) for r in rows] == [("new", "normal"), ("new", "normal"), ("closed", "normal")]
    assert not await TicketTag.filter(tenant_id=tenant.id, name="bulk").exists()
    assert (await Ticket.get(id=pk(theirs["id"]))).priority == "normal"

    done = await batch(ticketIds=[a["id"], b["id"]], status="resolved", priority="urgent", addTags=["bulk"],
                       removeTags=["x"], assigneeId=to_global_id_user(tenant.admin_id))
    assert done["errors"] == []
    assert done["tickets"] == [
        {"number": n, "status": "resolved", "priority": "urgent", "tags": ["bulk"],
         "assignee": {"email": tenant.admin_email}} for n in (a["number"], b["number"])]
    assert await TicketEvent.filter(ticket_id=pk(a["id"]), kind="status_changed").count() == 1

    too_many = await batch(ticketIds=[a["id"]] * (MAX_BATCH + 1), status="open")
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("BATCH_TOO_LARGE", ["ticketIds"])]
    empty = await batch(ticketIds=[], status="open")
    assert [e["code"] for e in empty["errors"]] == ["EMPTY_BATCH"]
    bad_id = await batch(ticketIds=[a["id"], "garbage"], status="open")
    assert [(e["code"], e["field"]) for e in bad_id["errors"]] == [("INVALID_ID", ["ticketIds", "1"])]
    assert (await Ticket.get(id=pk(a["id"]))).status == "resolved"


async def test_customer_shows_its_tickets_and_timeline(api: Api, tenant: TenantFixture,
                                                       other_tenant: TenantFixture) -> None:
    customer, _, _ = await customer_with_order(tenant, "Tim")
    cid = str(to_global_id(CustomerType, customer.id))
    first = await create(api, tenant, subject="First", customerId=cid)
    await create(api, tenant, subject="Second", customerId=cid)
    await create(api, tenant, subject="Someone else's")
    await api.data(STATUS, {"i": {"ticketId": first["id"], "status": "resolved"}}, token=tenant.token)
    view = (await api.data(CUSTOMER, {"id": cid}, token=tenant.token))["customer"]
    assert [e["node"]["subject"] for e in view["tickets"]["edges"]] == ["Second", "First"]
    ticket_events = [e["node"] for e in view["timeline"]["edges"] if e["node"]["kind"].startswith("aftersales.")]
    assert [(e["kind"], e["summary"], e["linkType"]) for e in ticket_events] == [
        ("aftersales.ticket_resolved", f"Ticket #{first['number']} resolved", "Ticket"),
        ("aftersales.ticket_opened", f"Ticket #{first['number'] + 1} opened", "Ticket"),
        ("aftersales.ticket_opened", f"Ticket #{first['number']} opened", "Ticket")]
    es = (await api.data(CUSTOMER, {"id": cid}, token=tenant.token, lang="es"))["customer"]
    assert not es["timeline"]["edges"][0]["node"]["summary"].startswith("Ticket #")
    assert (await api.data(CUSTOMER, {"id": cid}, token=other_tenant.token))["customer"] is None


async def test_messages_and_events_have_global_ids_and_so_does_what_events_name(api: Api,
                                                                                 tenant: TenantFixture) -> None:
    """Global IDs everywhere: a message and an event are Nodes, and the team, user, customer and order
    an event's data names are given as global IDs a client can pass back."""
    from strawberry import relay

    ticket = await create(api, tenant)
    team = await Team.create(tenant_id=tenant.id, name="Returns")
    customer, order, _ = await customer_with_order(tenant, "Ivo")
    team_id, user_id = str(to_global_id(TeamType, team.id)), to_global_id_user(tenant.admin_id)
    order_id, customer_id = str(to_global_id(OrderType, order.id)), str(to_global_id(CustomerType, customer.id))
    await api.data(UPDATE, {"i": {"ticketId": ticket["id"], "assigneeId": user_id, "teamId": team_id,
                                  "orderId": order_id}}, token=tenant.token)
    data = await api.data("""query($id: ID!) { ticket(id: $id) {
      messages(first: 5) { edges { node { id body } } } events(first: 20) { edges { node { id kind data } } } } }""",
                          {"id": ticket["id"]}, token=tenant.token)
    message = data["ticket"]["messages"]["edges"][0]["node"]
    events = {e["node"]["kind"]: e["node"] for e in data["ticket"]["events"]["edges"]}
    assert relay.GlobalID.from_id(message["id"]).type_name == "TicketMessage"
    assert events["assigned"]["data"] == {"from": None, "to": user_id}
    assert events["team_changed"]["data"] == {"from": None, "to": team_id}
    assert events["links_changed"]["data"]["to"] == {"customer": customer_id, "order": order_id}
    for node_id, typename in ((message["id"], "TicketMessage"), (events["assigned"]["id"], "TicketEvent"),
                              (team_id, "Team"), (customer_id, "Customer")):
        found = await api.data("query($id: ID!) { node(id: $id) { id __typename } }", {"id": node_id},
                               token=tenant.token)
        assert found["node"] == {"id": node_id, "__typename": typename}
