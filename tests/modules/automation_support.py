"""What the automation tests share: rule mutations over HTTP, customers and orders made over HTTP, and
delivering a tenant's owed events as a worker would."""

from __future__ import annotations

from typing import Any

from core import events
from core.models import OutboxEvent
from modules.crm.models import CustomerTag, Tag
from tests.conftest import Api, TenantFixture
from workers.settings import compose

RULE = "id trigger description conditions actions position enabled"
CREATE_RULE = f"""mutation($i: CreateRuleInput!) {{ createRule(input: $i) {{
  rule {{ {RULE} }} errors {{ code field message }} }} }}"""
UPDATE_RULE = f"""mutation($i: UpdateRuleInput!) {{ updateRule(input: $i) {{
  rule {{ {RULE} }} errors {{ code field message }} }} }}"""
FIRINGS = """query($id: ID!) { ruleFirings(ruleId: $id, first: 50) { edges { node {
  id cause eventId result error depth actions { action state } } } } }"""
CREATE_CUSTOMER = 'mutation { createCustomer(input: {firstName: "Ola", country: "DE"}) { customer { id } errors { code } } }'
CREATE_ORDER = """mutation($i: CreateOrderInput!) { createOrder(input: $i) { order { id } errors { code field } } }"""
UPDATE_ORDER = """mutation($i: UpdateOrderInput!) { updateOrder(input: $i) { order { status } errors { code field } } }"""
CREATE_TAG = "mutation($n: String!) { createTag(input: {name: $n}) { tag { id } errors { code } } }"
VIP_RULE: dict[str, Any] = {
    "trigger": "crm.order.status_changed",
    "description": "Shipped orders over 100 EUR make a VIP",
    "conditions": {"all": [{"field": "to", "op": "eq", "value": "shipped"},
                           {"field": "total", "op": "gt", "value": {"amount": "100", "currency": "EUR"}}]},
    "actions": [{"action": "crm.add_tag", "params": {"tag": "vip"}}],
}


async def create_rule(api: Api, t: TenantFixture, **values: Any) -> dict[str, Any]:
    data = (await api.data(CREATE_RULE, {"i": values}, token=t.token))["createRule"]
    assert data["errors"] == [], data
    return data["rule"]


async def tag(api: Api, t: TenantFixture, name: str) -> None:
    assert (await api.data(CREATE_TAG, {"n": name}, token=t.token))["createTag"]["errors"] == []


async def customer(api: Api, t: TenantFixture) -> str:
    data = (await api.data(CREATE_CUSTOMER, token=t.token))["createCustomer"]
    assert data["errors"] == []
    return data["customer"]["id"]


async def order(api: Api, t: TenantFixture, customer_id: str, price: str, currency: str = "EUR") -> str:
    data = (await api.data(CREATE_ORDER, {"i": {"customerId": customer_id, "number": f"N-{price}-{currency}",
                                                "currency": currency, "status": "paid",
                                                "lines": [{"sku": "A", "unitPrice": price}]}},
                           token=t.token))["createOrder"]
    assert data["errors"] == [], data
    return data["order"]["id"]


async def move_order(api: Api, t: TenantFixture, order_id: str, status: str) -> None:
    data = (await api.data(UPDATE_ORDER, {"i": {"orderId": order_id, "status": status}}, token=t.token))
    assert data["updateOrder"]["errors"] == [], data


async def tags_of(t: TenantFixture, customer_gid: str) -> list[str]:
    from strawberry import relay

    pk = int(relay.GlobalID.from_id(customer_gid).node_id)
    tag_ids = await CustomerTag.filter(tenant_id=t.id, customer_id=pk).values_list("tag_id", flat=True)
    return sorted(str(n) for n in await Tag.filter(id__in=list(tag_ids)).values_list("name", flat=True))


async def deliver(rt: Any, tenant_id: int, rounds: int = 20) -> int:
    """Dispatch the tenant's owed events, oldest first, as the worker would, until none is owed (the
    events the handlers emit included); how many were dispatched."""
    handlers = compose(rt.modules).event_handlers
    done = 0
    for _ in range(rounds):
        owed = await OutboxEvent.filter(tenant_id=tenant_id, handled_at=None, failed_at=None) \
            .order_by("created_at").values_list("id", flat=True)
        if not owed:
            return done
        for event_id in owed:
            await events.dispatch(str(event_id), handlers)
            done += 1
    return done


async def firings(api: Api, t: TenantFixture, rule_id: str) -> list[dict[str, Any]]:
    data = await api.data(FIRINGS, {"id": rule_id}, token=t.token)
    return [e["node"] for e in data["ruleFirings"]["edges"]]
