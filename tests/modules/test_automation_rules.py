"""Rules over HTTP: saved, listed in order, changed and deleted with audit entries; every mistake a
translated payload error at its path with nothing saved; only roles holding automation.rule:write
may change them."""

from __future__ import annotations

from typing import Any

from core.graphql.node import to_global_id
from core.models import AuditEntry
from modules.automation.models import Rule
from modules.team.graphql.types import UserType
from tests.conftest import Api, TenantFixture, make_tenant
from tests.modules.automation_support import CREATE_RULE, UPDATE_RULE, VIP_RULE, create_rule, tag

RULES = """query($t: String, $after: String) { rules(first: 2, trigger: $t, after: $after) {
  edges { node { id trigger position enabled } } pageInfo { hasNextPage endCursor } } }"""
DELETE = "mutation($id: ID!) { deleteRule(input: {id: $id}) { deletedId errors { code field } } }"
DECLARED = """{ automationTriggers { event module fields { name type choices } subjects }
  automationActions { name label subject params { name type choices nodeType } } }"""


async def _errors(api: Api, t: TenantFixture, lang: str | None = None, **values: Any) -> list[tuple[str, tuple]]:
    data = (await api.data(CREATE_RULE, {"i": values}, token=t.token, lang=lang))["createRule"]
    assert data["rule"] is None
    return [(e["code"], tuple(e["field"])) for e in data["errors"]]


async def test_rules_are_saved_listed_in_order_changed_and_deleted(api: Api, tenant: TenantFixture) -> None:
    await tag(api, tenant, "VIP")
    first = await create_rule(api, tenant, **VIP_RULE)
    assert first["conditions"] == VIP_RULE["conditions"] and first["actions"] == VIP_RULE["actions"]
    assert (first["position"], first["enabled"], first["description"]) == (0, True, VIP_RULE["description"])
    second = await create_rule(api, tenant, trigger="aftersales.ticket.created", actions=[
        {"action": "aftersales.set_ticket_priority", "params": {"priority": "high"}}])
    assert second["position"] == 1 and second["conditions"] == {}
    early = await create_rule(api, tenant, trigger="crm.customer.created", position=0,
                              conditions={"field": "country", "op": "in", "value": ["de", "AT"]},
                              actions=[{"action": "crm.add_tag", "params": {"tag": "VIP"}}])
    page = (await api.data(RULES, token=tenant.token))["rules"]
    assert [e["node"]["id"] for e in page["edges"]] == [first["id"], early["id"]]
    rest = (await api.data(RULES, {"after": page["pageInfo"]["endCursor"]}, token=tenant.token))["rules"]
    assert [e["node"]["id"] for e in rest["edges"]] == [second["id"]] and not rest["pageInfo"]["hasNextPage"]
    only = (await api.data(RULES, {"t": "crm.customer.created"}, token=tenant.token))["rules"]
    assert [e["node"]["id"] for e in only["edges"]] == [early["id"]]
    changed = (await api.data(UPDATE_RULE, {"i": {"id": second["id"], "enabled": False, "position": 7,
                                                  "description": "  Later  "}}, token=tenant.token))["updateRule"]
    assert changed["errors"] == []
    assert (changed["rule"]["enabled"], changed["rule"]["position"], changed["rule"]["description"]) == \
        (False, 7, "Later")
    assert changed["rule"]["actions"] == second["actions"]  # kept
    deleted = (await api.data(DELETE, {"id": second["id"]}, token=tenant.token))["deleteRule"]
    assert deleted == {"deletedId": second["id"], "errors": []}
    again = (await api.data(DELETE, {"id": second["id"]}, token=tenant.token))["deleteRule"]
    assert again["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    actions = await AuditEntry.filter(tenant_id=tenant.id, object_type="Rule").order_by("id") \
        .values_list("action", flat=True)
    assert actions == ["rule.create", "rule.create", "rule.create", "rule.update", "rule.delete"]


async def test_every_mistake_is_a_translated_error_at_its_path_and_nothing_is_saved(
        api: Api, tenant: TenantFixture) -> None:
    await tag(api, tenant, "VIP")
    add = [{"action": "crm.add_tag", "params": {"tag": "VIP"}}]
    order = "crm.order.status_changed"
    assert await _errors(api, tenant, trigger="crm.order.teleported", actions=add) == \
        [("UNKNOWN_TRIGGER", ("trigger",))]
    assert await _errors(api, tenant, trigger=order, actions=add, conditions={"all": [
        {"field": "to", "op": "eq", "value": "shipped"},
        {"field": "colour", "op": "eq", "value": "red"},
        {"any": [{"field": "total", "op": "contains", "value": "1"},
                 {"not": {"field": "to", "op": "eq", "value": "teleported"}}]},
        {"field": "total", "op": "gt", "value": "100"},
        {"field": "total", "op": "gt", "value": {"amount": "1.001", "currency": "EUR"}},
        {"field": "to", "op": "in", "value": []},
        {"all": []}, {"all": [], "any": []}, "to = shipped", {"field": "to", "op": "eq"},
        {"field": "to", "op": "eq", "value": "paid", "extra": 1}]}) == [
        ("UNKNOWN_FIELD", ("conditions", "all", "1", "field")),
        ("UNKNOWN_OP", ("conditions", "all", "2", "any", "0", "op")),
        ("INVALID_VALUE", ("conditions", "all", "2", "any", "1", "not", "value")),
        ("INVALID_VALUE", ("conditions", "all", "3", "value")),
        ("TOO_MANY_DECIMALS", ("conditions", "all", "4", "value", "amount")),
        ("INVALID_VALUE", ("conditions", "all", "5", "value")),
        ("INVALID_CONDITION", ("conditions", "all", "6", "all")),
        ("INVALID_CONDITION", ("conditions", "all", "7")),
        ("INVALID_CONDITION", ("conditions", "all", "8")),
        ("INVALID_VALUE", ("conditions", "all", "9", "value")),
        ("INVALID_CONDITION", ("conditions", "all", "10", "extra"))]
    # A date compared to a string that is no date, and a nesting too deep.
    deep: dict[str, Any] = {"field": "carrier", "op": "eq", "value": "DHL"}
    for _ in range(6):
        deep = {"not": deep}
    assert await _errors(api, tenant, trigger="aftersales.shipment_stale", actions=add, conditions={"any": [
        {"field": "last_movement_at", "op": "lt", "value": "last tuesday"},
        {"field": "last_movement_at", "op": "eq", "value": "2026-01-01"}, deep]}) == [
        ("INVALID_VALUE", ("conditions", "any", "0", "value")),
        ("UNKNOWN_OP", ("conditions", "any", "1", "op")),
        ("CONDITIONS_TOO_DEEP", ("conditions", "any", "2", "not", "not", "not", "not", "not"))
    ] + [("ACTION_NOT_APPLICABLE", ("actions", "0", "action"))]  # a shipment is no customer
    assert await _errors(api, tenant, trigger=order, actions=[
        {"action": "crm.teleport", "params": {}},
        {"action": "aftersales.set_ticket_priority", "params": {"priority": "high"}},
        {"action": "crm.add_tag", "params": {}},
        {"action": "crm.add_tag", "params": {"tag": "VIP", "colour": "red"}},
        {"action": "crm.add_tag", "params": {"tag": "no-such-tag"}},
        {"action": "crm.add_tag", "params": {"tag": 5}},
        {"action": "crm.add_tag", "params": ["VIP"]}]) == [
        ("UNKNOWN_ACTION", ("actions", "0", "action")),
        ("ACTION_NOT_APPLICABLE", ("actions", "1", "action")),  # an order event names no ticket
        ("MISSING_PARAM", ("actions", "2", "params", "tag")),
        ("UNKNOWN_PARAM", ("actions", "3", "params", "colour")),
        ("NOT_FOUND", ("actions", "4", "params", "tag")),
        ("INVALID_VALUE", ("actions", "5", "params", "tag")),
        ("INVALID_PARAMS", ("actions", "6", "params"))]
    assert await _errors(api, tenant, trigger="aftersales.ticket.created", actions=[
        {"action": "aftersales.set_ticket_priority", "params": {"priority": "asap"}},
        {"action": "aftersales.assign_ticket", "params": {"user": "not-an-id"}},
        {"action": "aftersales.assign_ticket", "params": {"user": to_global_id(UserType, 10**12)}}]) == [
        ("INVALID_VALUE", ("actions", "0", "params", "priority")),
        ("INVALID_VALUE", ("actions", "1", "params", "user")),
        ("NOT_FOUND", ("actions", "2", "params", "user"))]
    assert await _errors(api, tenant, trigger=order, actions=[]) == [("INVALID_ACTIONS", ("actions",))]
    assert await _errors(api, tenant, trigger=order, actions=add, description="x" * 501, position=-1) == [
        ("TOO_LONG", ("description",)), ("INVALID_POSITION", ("position",))]
    assert not await Rule.filter(tenant_id=tenant.id).exists()
    # In the caller's language, naming the bad part.
    data = (await api.data(CREATE_RULE, {"i": {"trigger": order, "actions": add, "conditions": {
        "field": "colour", "op": "eq", "value": "red"}}}, token=tenant.token, lang="de"))["createRule"]
    assert data["errors"][0]["message"].startswith("Unbekanntes Feld colour")
    data = (await api.data(CREATE_RULE, {"i": {"trigger": "nope", "actions": add}}, token=tenant.token,
                           lang="fr"))["createRule"]
    assert data["errors"][0]["message"] == "Déclencheur inconnu nope."
    # An update is checked the same way and changes nothing when refused.
    rule = await create_rule(api, tenant, trigger=order, actions=add)
    bad = (await api.data(UPDATE_RULE, {"i": {"id": rule["id"], "trigger": "crm.customer.created",
                                              "conditions": {"field": "to", "op": "eq", "value": "paid"}}},
                          token=tenant.token))["updateRule"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("UNKNOWN_FIELD", ["conditions", "field"])]
    assert (await Rule.get(tenant_id=tenant.id)).trigger == order


async def test_the_declared_triggers_and_actions_are_listed(api: Api, tenant: TenantFixture) -> None:
    data = await api.data(DECLARED, token=tenant.token, lang="es")
    triggers = {t["event"]: t for t in data["automationTriggers"]}
    assert {"crm.order.created", "crm.order.status_changed", "crm.customer.created", "aftersales.ticket.created",
            "aftersales.ticket.status_changed", "aftersales.ticket_escalated", "aftersales.refund_created",
            "aftersales.return_created", "aftersales.shipment_stale"} <= set(triggers)
    status = triggers["crm.order.status_changed"]
    assert status["module"] == "crm" and status["subjects"] == ["customer", "order"]
    assert {"name": "total", "type": "money", "choices": []} in status["fields"]
    actions = {a["name"]: a for a in data["automationActions"]}
    assert {"crm.add_tag", "crm.remove_tag", "aftersales.set_ticket_priority", "aftersales.set_ticket_status",
            "aftersales.assign_ticket", "aftersales.assign_ticket_team", "aftersales.add_ticket_tag",
            "aftersales.remove_ticket_tag", "aftersales.add_internal_note"} <= set(actions)
    assert actions["aftersales.assign_ticket"]["params"] == [
        {"name": "user", "type": "node", "choices": [], "nodeType": "User"}]
    assert actions["crm.add_tag"]["label"] == "Añadir una etiqueta al cliente"


async def test_only_roles_with_rule_write_change_rules(api: Api, rt: Any, tenant: TenantFixture) -> None:
    await tag(api, tenant, "VIP")
    rule = await create_rule(api, tenant, **VIP_RULE)
    supervisor = await make_tenant(api, rt, role="supervisor")
    await tag(api, supervisor, "VIP")
    refused = await api.post(CREATE_RULE, {"i": VIP_RULE}, token=supervisor.token)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.data(RULES, token=supervisor.token))["rules"]["edges"] == []  # reading is allowed
    agent = await make_tenant(api, rt, role="agent")
    for query, variables in ((RULES, None), (DELETE, {"id": rule["id"]})):
        body = await api.post(query, variables, token=agent.token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another tenant's admin cannot touch this tenant's rule.
    other = await make_tenant(api, rt)
    assert (await api.data(DELETE, {"id": rule["id"]}, token=other.token))["deleteRule"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["id"]}]
    assert await Rule.filter(tenant_id=tenant.id).count() == 1
