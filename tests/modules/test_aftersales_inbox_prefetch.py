"""The inbox loads what the query asks of its tickets up front (aftersales tickets.prefetch): the list
answers what each ticket's own view answers (customer, assignee, team, tags, last message), without
resolving any of them ticket by ticket."""

from __future__ import annotations

from typing import Any

import pytest

from core.graphql.node import to_global_id
from modules.aftersales.graphql import types as ticket_types
from modules.crm.graphql.types import CustomerType
from modules.crm.models import Customer
from tests.conftest import Api, make_tenant
from tests.modules.test_aftersales_tickets import create, to_global_id_user

FIELDS = ("id number tags customer { displayName } assignee { email } team { name } "
          "lastMessage { kind body } again: lastMessage { body }")
LIST = "{ tickets(first: 20) { edges { node { " + FIELDS + " } } nodes { id tags } } }"
ONE = "query($id: ID!) { ticket(id: $id) { " + FIELDS + " } }"


async def test_the_inbox_answers_what_each_tickets_view_answers(
        api: Api, rt: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = await make_tenant(api, rt)
    made = await api.data('mutation { createTeam(input: {name: "Returns"}) { team { id } errors { code } } }',
                          token=shop.token)
    team = made["createTeam"]["team"]["id"]
    ids = []
    for i in range(5):
        customer = await Customer.create(tenant_id=shop.id, first_name=f"C{i}", display_name=f"Customer {i}")
        fields: dict[str, Any] = {"customerId": str(to_global_id(CustomerType, customer.id)), "tags": [f"t{i}", "all"]}
        if i % 2:
            fields |= {"assigneeId": to_global_id_user(shop.admin_id), "teamId": team}
        if i == 4:
            fields.pop("customerId")
        ids.append((await create(api, shop, subject=f"Question {i}", **fields))["id"])
    views = {i: (await api.data(ONE, {"id": i}, token=shop.token))["ticket"] for i in ids}

    def not_on_a_list(*_: Any) -> Any:
        raise AssertionError("the inbox resolved a ticket's field one by one")

    for name in ("load_node", "_user"):
        monkeypatch.setattr(ticket_types, name, not_on_a_list)
    for name in ("_tags", "_last_message"):
        monkeypatch.setattr(ticket_types.TicketType, name, not_on_a_list)
    listed = (await api.data(LIST, token=shop.token))["tickets"]
    edges = {n["id"]: n for n in (e["node"] for e in listed["edges"])}
    assert edges == views
    assert {n["id"]: n["tags"] for n in listed["nodes"]} == {i: views[i]["tags"] for i in ids}
    assert edges[ids[1]]["assignee"]["email"] and edges[ids[1]]["team"] == {"name": "Returns"}
    assert edges[ids[0]]["assignee"] is None and edges[ids[4]]["customer"] is None
    assert edges[ids[2]]["lastMessage"]["kind"] == "inbound" and edges[ids[3]]["tags"] == ["all", "t3"]
