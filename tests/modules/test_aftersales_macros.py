"""Macros over HTTP: templates checked at save time (unknown placeholders, syntax errors, sandbox
escapes), the variant chosen by the customer's language then the tenant's then English then any,
money formatted in the customer's locale, renderMacro previews, applyMacro replies and acts, the
context-provider hook, permissions and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry import relay

from core.access.admin import assign_role_by_name
from core.graphql.node import to_global_id
from core.identity import add_user
from core.models import Tenant
from modules.aftersales.graphql.types import TicketType
from modules.aftersales.models import Macro, MacroVariant, Ticket, TicketEvent
from modules.aftersales.services.macros import templates
from modules.crm.graphql.types import CustomerType, OrderType
from modules.crm.models import Customer, Order
from tests.conftest import PASSWORD, Api, TenantFixture

CREATE = """mutation($i: CreateMacroInput!) { createMacro(input: $i) {
  macro { id name active actions { status priority addTags } variants { language subject body } }
  errors { code field message } } }"""
UPDATE = """mutation($i: UpdateMacroInput!) { updateMacro(input: $i) {
  macro { name active variants { language } } errors { code field } } }"""
DELETE = "mutation($i: DeleteMacroInput!) { deleteMacro(input: $i) { deletedId errors { code field } } }"
RENDER = """query($m: ID!, $t: ID!) { renderMacro(macroId: $m, ticketId: $t) {
  rendered { language subject body } errors { code field message } } }"""
APPLY = """mutation($i: ApplyMacroInput!) { applyMacro(input: $i) {
  message { kind body author { email } } ticket { status priority tags } errors { code field } } }"""
CREATE_TICKET = """mutation($i: CreateTicketInput!) { createTicket(input: $i) { ticket { id number } errors { code } } }"""


def pk(gid: str) -> int:
    return int(relay.GlobalID.from_id(gid).node_id)


async def macro(api: Api, t: TenantFixture, name: str, variants: list[dict[str, Any]], **extra: Any) -> str:
    data = await api.data(CREATE, {"i": {"name": name, "variants": variants, **extra}}, token=t.token)
    assert data["createMacro"]["errors"] == [], data
    return data["createMacro"]["macro"]["id"]


_numbers = iter(range(50_000, 1_000_000))


async def bare_ticket(t: TenantFixture, customer: Customer | None = None, **fields: Any) -> str:
    row = await Ticket.create(tenant_id=t.id, number=next(_numbers), subject="Broken lamp",
                              customer_id=customer.id if customer else None, **fields)
    return to_global_id(TicketType, row.id)


async def test_render_in_the_customers_language_then_apply(api: Api, tenant: TenantFixture) -> None:
    await Tenant.filter(id=tenant.id).update(default_locale="en")
    dora = await Customer.create(tenant_id=tenant.id, first_name="Dora", last_name="Klein", display_name="Dora Klein",
                                 language="de-AT")
    order = await Order.create(tenant_id=tenant.id, customer_id=dora.id, number="A-1001", currency="EUR",
                               total=123450, placed_at=datetime.now(UTC))
    created = await api.data(CREATE_TICKET, {"i": {
        "type": "refund", "channel": "email", "subject": "Lampe kaputt", "body": "Die Lampe ist kaputt.",
        "customerId": to_global_id(CustomerType, dora.id), "orderId": to_global_id(OrderType, order.id)}},
        token=tenant.token)
    ticket = created["createTicket"]["ticket"]
    mid = await macro(api, tenant, "Refund sent", [
        {"language": "en", "body": "Hi {{ customer.first_name }}, we refunded {{ order.total }}. {{ agent.name }}"},
        {"language": "de", "subject": "Re: {{ ticket.subject }} (#{{ ticket.number }})",
         "body": "Hallo {{ customer.name }}, {{ order.total }} für {{ order.number }} sind erstattet. "
                 "{{ customer.last_name|upper }} / {{ agent.name }}"},
        {"language": "es", "body": "Hola {{ customer.first_name }}."},
    ], actions={"setStatus": "pending_customer", "setPriority": "high", "addTags": ["Refund", "macro"]})
    preview = (await api.data(RENDER, {"m": mid, "t": ticket["id"]}, token=tenant.token))["renderMacro"]
    assert preview["errors"] == []
    assert preview["rendered"] == {
        "language": "de", "subject": f"Re: Lampe kaputt (#{ticket['number']})",
        "body": "Hallo Dora Klein, €\xa01.234,50 für A-1001 sind erstattet. KLEIN / Admin"}  # as in Austria
    assert not await TicketEvent.filter(ticket_id=pk(ticket["id"]), kind="macro_applied").exists()  # preview only
    applied = (await api.data(APPLY, {"i": {"macroId": mid, "ticketId": ticket["id"]}}, token=tenant.token))
    assert applied["applyMacro"] == {
        "message": {"kind": "outbound", "body": preview["rendered"]["body"], "author": {"email": tenant.admin_email}},
        "ticket": {"status": "pending_customer", "priority": "high", "tags": ["macro", "refund"]}, "errors": []}
    events = await TicketEvent.filter(ticket_id=pk(ticket["id"])).values_list("kind", flat=True)
    assert {"status_changed", "priority_changed", "tags_changed", "macro_applied"} <= set(events)


async def test_variant_fallback_customer_then_tenant_then_english_then_any(api: Api, tenant: TenantFixture) -> None:
    three = await macro(api, tenant, "Three", [{"language": lang, "body": f"{lang} {{{{ ticket.number }}}}"}
                                               for lang in ("en", "es", "zh-Hans")])
    only_de = await macro(api, tenant, "Only German", [{"language": "de", "body": "Hallo"}])

    async def language(customer_language: str | None, tenant_locale: str, mid: str = three) -> str:
        await Tenant.filter(id=tenant.id).update(default_locale=tenant_locale)
        customer = await Customer.create(tenant_id=tenant.id, first_name="C", language=customer_language)
        data = await api.data(RENDER, {"m": mid, "t": await bare_ticket(tenant, customer)}, token=tenant.token)
        assert data["renderMacro"]["errors"] == [], data
        return data["renderMacro"]["rendered"]["language"]

    assert await language("zh-Hans-CN", "es") == "zh-Hans"  # the customer's, by primary language
    assert await language("es-MX", "en") == "es"
    assert await language("fr", "es") == "es"  # no French: the tenant's
    assert await language(None, "zh_Hans") == "zh-Hans"
    assert await language("fr", "it") == "en"  # neither: English
    assert await language("fr", "it", only_de) == "de"  # nor English: any
    await Tenant.filter(id=tenant.id).update(default_locale="zh_Hans")
    rendered = await api.data(RENDER, {"m": three, "t": await bare_ticket(tenant)}, token=tenant.token)
    assert rendered["renderMacro"]["rendered"]["body"].startswith("zh-Hans ")  # no customer: the tenant's


async def test_bad_templates_are_refused_at_save_and_never_run(api: Api, tenant: TenantFixture) -> None:
    cases = {
        "Hi {{ customer.nickname }}": ("UNKNOWN_PLACEHOLDER", "customer.nickname"),
        "Hi {{ password }}": ("UNKNOWN_PLACEHOLDER", "password"),
        "Hi {{ customer.first_name ": ("TEMPLATE_SYNTAX", "line 1"),
        "{{ ''.__class__ }}": ("FORBIDDEN_TEMPLATE", ""),
        "{{ customer.__class__ }}": ("UNKNOWN_PLACEHOLDER", "customer.__class__"),
        "{{ customer.first_name.__class__.__mro__ }}": ("FORBIDDEN_TEMPLATE", ""),
        "{% import os %}": ("TEMPLATE_SYNTAX", ""),
        "{% import 'os' as os %}{{ os }}": ("FORBIDDEN_TEMPLATE", ""),
        "{% for x in range(10) %}x{% endfor %}": ("FORBIDDEN_TEMPLATE", ""),
        "{{ cycler.__init__.__globals__.os }}": ("FORBIDDEN_TEMPLATE", ""),
        "{{ customer.first_name|attr('__class__') }}": ("FORBIDDEN_TEMPLATE", ""),
        "{{ customer['first_name'] }}": ("FORBIDDEN_TEMPLATE", ""),
        "{{ lipsum() }}": ("FORBIDDEN_TEMPLATE", ""),
    }
    for body, (code, mentioned) in cases.items():
        data = await api.data(CREATE, {"i": {"name": "Bad", "variants": [{"language": "en", "body": body}]}},
                              token=tenant.token)
        errors = data["createMacro"]["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [(code, ["variants", "0", "body"])], (body, errors)
        assert mentioned in errors[0]["message"], (body, errors)
    spanish = await api.data(CREATE, {"i": {"name": "Bad", "variants": [
        {"language": "en", "body": "{{ customer.nickname }}"}]}}, token=tenant.token, lang="es")
    assert spanish["createMacro"]["errors"][0]["message"] == "Marcador desconocido: customer.nickname."
    many = await api.data(CREATE, {"i": {"name": " ", "actions": {"setStatus": "vanished", "addTags": [" "]},
                                         "variants": [{"language": "en", "body": "A"},
                                                      {"language": "EN", "body": " ", "subject": "{{ x }}"},
                                                      {"language": "klingon!", "body": "B"}]}}, token=tenant.token)
    assert {(e["code"], tuple(e["field"])) for e in many["createMacro"]["errors"]} == {
        ("INVALID_NAME", ("name",)), ("INVALID_CHOICE", ("actions", "status")),
        ("INVALID_TAG", ("actions", "addTags", "0")), ("DUPLICATE_LANGUAGE", ("variants", "1", "language")),
        ("UNKNOWN_PLACEHOLDER", ("variants", "1", "subject")), ("EMPTY_BODY", ("variants", "1", "body")),
        ("INVALID_LANGUAGE", ("variants", "2", "language"))}
    none = await api.data(CREATE, {"i": {"name": "Empty", "variants": []}}, token=tenant.token)
    assert none["createMacro"]["errors"] == [{"code": "NO_VARIANT", "field": ["variants"],
                                              "message": "A macro needs at least one language variant."}]
    assert not await Macro.filter(tenant_id=tenant.id).exists()
    # A template written straight into the database (not through the API) still cannot run.
    row = await Macro.create(tenant_id=tenant.id, name="Smuggled")
    await MacroVariant.create(tenant_id=tenant.id, macro_id=row.id, language="en",
                              body="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    smuggled = await api.data(RENDER, {"m": to_global_id(_macro_type(), row.id), "t": await bare_ticket(tenant)},
                              token=tenant.token)
    assert smuggled["renderMacro"]["errors"][0]["code"] == "FORBIDDEN_TEMPLATE"


def _macro_type() -> Any:
    from modules.aftersales.graphql.macros.types import MacroType
    return MacroType


async def test_missing_values_and_a_registered_provider(api: Api, tenant: TenantFixture) -> None:
    mid = await macro(api, tenant, "Order", [{"language": "en", "body": "Order {{ order.number }}"}])
    missing = await api.data(RENDER, {"m": mid, "t": await bare_ticket(tenant)}, token=tenant.token)
    assert missing["renderMacro"]["errors"] == [{"code": "MISSING_VALUE", "field": ["body"],
                                                 "message": "This ticket has no value for order.number."}]
    refused = await api.data(CREATE, {"i": {"name": "Points", "variants": [
        {"language": "en", "body": "{{ points.balance }}"}]}}, token=tenant.token)
    assert refused["createMacro"]["errors"][0]["code"] == "UNKNOWN_PLACEHOLDER"

    # A partner's (or loyalty's) namespace: valid the moment it is registered.
    async def points(subject: templates.RenderSubject) -> dict[str, str] | None:
        return {"balance": f"42 for #{subject.ticket.number}"}

    templates.register_provider("points", ("balance",), points)
    try:
        placeholders = await api.data("{ macroPlaceholders }", token=tenant.token)
        assert "points.balance" in placeholders["macroPlaceholders"]
        rid = await macro(api, tenant, "Points", [{"language": "en", "body": "You have {{ points.balance }}."}])
        ticket = await bare_ticket(tenant)
        shown = await api.data(RENDER, {"m": rid, "t": ticket}, token=tenant.token)
        number = (await Ticket.get(id=pk(ticket))).number
        assert shown["renderMacro"]["rendered"]["body"] == f"You have 42 for #{number}."
    finally:
        templates.unregister_provider("points")


async def test_refund_amount_is_the_orders_latest_refund_in_the_customers_locale(
        api: Api, tenant: TenantFixture) -> None:
    dora = await Customer.create(tenant_id=tenant.id, first_name="Dora", language="de-DE")
    order = await Order.create(tenant_id=tenant.id, customer_id=dora.id, number="R-77", currency="EUR",
                               total=12_990, subtotal=12_990, status="paid",  # only paid money is refunded
                               placed_at=datetime(2026, 3, 1, tzinfo=UTC), paid_at=datetime(2026, 3, 1, tzinfo=UTC))
    mid = await macro(api, tenant, "Refunded", [{"language": "de", "body": "Erstattet: {{ refund.amount }}"}])
    ticket = await bare_ticket(tenant, dora, order_id=order.id)
    none_yet = await api.data(RENDER, {"m": mid, "t": ticket}, token=tenant.token)
    assert none_yet["renderMacro"]["errors"][0]["code"] == "MISSING_VALUE"
    made = await api.data("""mutation($i: CreateRefundInput!) { createRefund(input: $i) { errors { code } } }""",
                          {"i": {"orderId": to_global_id(OrderType, order.id), "amount": "1234.5",
                                 "reason": "Late"}}, token=tenant.token)
    assert made["createRefund"]["errors"] == [{"code": "REFUND_EXCEEDS_REFUNDABLE"}]
    made = await api.data("""mutation($i: CreateRefundInput!) { createRefund(input: $i) { errors { code } } }""",
                          {"i": {"orderId": to_global_id(OrderType, order.id), "amount": "45.5",
                                 "reason": "Late"}}, token=tenant.token)
    assert made["createRefund"]["errors"] == []
    shown = await api.data(RENDER, {"m": mid, "t": ticket}, token=tenant.token)
    assert shown["renderMacro"]["rendered"]["body"] == "Erstattet: 45,50\xa0€"


async def test_permissions_isolation_updates_and_inactive_macros(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    mine = await macro(api, tenant, "Mine", [{"language": "en", "body": "Hello {{ ticket.number }}"}])
    theirs = await macro(api, other_tenant, "Theirs", [{"language": "en", "body": "Hi"}])
    my_ticket = await bare_ticket(tenant)
    their_ticket = await bare_ticket(other_tenant)
    wrong_macro = await api.data(RENDER, {"m": theirs, "t": my_ticket}, token=tenant.token)
    assert wrong_macro["renderMacro"]["errors"][0]["code"] == "NOT_FOUND"
    wrong_ticket = await api.data(APPLY, {"i": {"macroId": mine, "ticketId": their_ticket}}, token=tenant.token)
    assert wrong_ticket["applyMacro"]["errors"] == [{"code": "NOT_FOUND", "field": ["ticketId"]}]
    stolen = await api.data(UPDATE, {"i": {"id": theirs, "name": "Stolen"}}, token=tenant.token)
    assert stolen["updateMacro"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    agent = await add_user(tenant.id, f"agent@{tenant.slug}.test", "Agent", PASSWORD)
    await assign_role_by_name(tenant.id, agent.id, "agent")
    rt.access.invalidate(tenant.id)
    token = await api.login(f"agent@{tenant.slug}.test", tenant.slug)
    denied = await api.post(CREATE, {"i": {"name": "x", "variants": [{"language": "en", "body": "x"}]}}, token=token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    applied = await api.data(APPLY, {"i": {"macroId": mine, "ticketId": my_ticket}}, token=token)
    number = (await Ticket.get(id=pk(my_ticket))).number
    assert applied["applyMacro"]["message"] == {"kind": "outbound", "body": f"Hello {number}",
                                                "author": {"email": f"agent@{tenant.slug}.test"}}
    assert applied["applyMacro"]["ticket"]["status"] == "open"  # a reply opens a new ticket
    renamed = await api.data(UPDATE, {"i": {"id": mine, "name": "Greeting", "active": False,
                                            "variants": [{"language": "de", "body": "Hallo"}]}}, token=tenant.token)
    assert renamed["updateMacro"] == {"macro": {"name": "Greeting", "active": False, "variants": [{"language": "de"}]},
                                      "errors": []}
    off = await api.data(APPLY, {"i": {"macroId": mine, "ticketId": my_ticket}}, token=token)
    assert off["applyMacro"]["errors"] == [{"code": "MACRO_INACTIVE", "field": ["macroId"]}]
    listed = await api.data("{ macros(first: 10) { edges { node { name } } } }", token=tenant.token)
    assert [e["node"]["name"] for e in listed["macros"]["edges"]] == ["Greeting"]
    gone = await api.data(DELETE, {"i": {"id": mine}}, token=tenant.token)
    assert gone["deleteMacro"] == {"deletedId": mine, "errors": []}
    assert not await MacroVariant.filter(tenant_id=tenant.id).exists()
