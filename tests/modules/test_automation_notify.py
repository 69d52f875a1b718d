"""A rule notifies the customer from a template, over HTTP on both databases: the e-mail reaches the
tests' SMTP server through the tenant's mailbox, in the customer's language (else the tenant's, else
English) with the amount and date in the customer's locale and time zone; templates are checked
at save time, an unknown placeholder refused in the caller's language; roles and tenants apart."""

from __future__ import annotations

from typing import Any

from core.models import Tenant
from modules.channels.models import Delivery, Notification, NotificationTemplate
from tests.conftest import Api, TenantFixture, make_tenant
from tests.modules.automation_support import CREATE_RULE, create_rule, deliver, firings, move_order, order
from tests.modules.test_channels_email import CREATE_CUSTOMER, Mailbox, make_channel, smtp  # noqa: F401 - fixture
from tests.modules.test_channels_erasure import ERASE

CREATE_TEMPLATE = """mutation($i: CreateNotificationTemplateInput!) { createNotificationTemplate(input: $i) {
  template { id name category variants { language subject body } } errors { code field message } } }"""
UPDATE_TEMPLATE = """mutation($i: UpdateNotificationTemplateInput!) { updateNotificationTemplate(input: $i) {
  template { id variants { language } } errors { code field message } } }"""
TEMPLATES = "{ notificationTemplates(first: 10) { edges { node { id name } } } }"
NOTIFICATIONS = """query($c: ID!) { customerNotifications(customerId: $c) { language subject body category
  delivery { state providerMessageId error } } }"""
SHIPPED = {"name": "Order shipped", "variants": [
    {"language": "en", "subject": "Order {{ order.number }} is on its way",
     "body": "Hello {{ customer.first_name }}, your order of {{ order.date }} ({{ order.total }}) has shipped."},
    {"language": "de", "subject": "Bestellung {{ order.number }} ist unterwegs",
     "body": "Hallo {{ customer.first_name }}, Ihre Bestellung vom {{ order.date }} ({{ order.total }}) ist "
             "unterwegs."},
]}


async def _customer(api: Api, t: TenantFixture, name: str, email: str, **more: Any) -> str:
    data = await api.data(CREATE_CUSTOMER, {"i": {"firstName": name, "emails": [email], **more}}, token=t.token)
    return str(data["createCustomer"]["customer"]["id"])


async def test_a_rule_mails_the_customer_in_their_language_with_a_local_amount(
        api: Api, rt: Any, tenant: TenantFixture, smtp: tuple[Mailbox, int], relay: Any) -> None:  # noqa: F811
    box, port = smtp
    await make_channel(api, tenant, port)
    made = (await api.data(CREATE_TEMPLATE, {"i": SHIPPED}, token=tenant.token))["createNotificationTemplate"]
    assert made["errors"] == [] and made["template"]["category"] == "transactional"
    rule = await create_rule(api, tenant, trigger="crm.order.status_changed",
                             conditions={"field": "to", "op": "eq", "value": "shipped"},
                             actions=[{"action": "channels.notify_customer", "params": {"template": "Order shipped"}}])
    german = await _customer(api, tenant, "Jonas", "jonas@example.de", language="de-DE", timezone="Europe/Berlin")
    italian = await _customer(api, tenant, "Giulia", "giulia@example.it", language="it")  # no Italian text
    for who, price in ((german, "1234.50"), (italian, "99.90")):
        await move_order(api, tenant, await order(api, tenant, who, price), "shipped")
    start = len(box.received)
    await deliver(rt, tenant.id)
    await deliver(rt, tenant.id)  # delivered again: nothing more goes out
    mails = {str(m["To"]): m for m in box.received[start:]}
    assert sorted(mails) == ["giulia@example.it", "jonas@example.de"]
    to_jonas = mails["jonas@example.de"]
    assert str(to_jonas["Subject"]) == "Bestellung N-1234.50-EUR ist unterwegs"
    text = to_jonas.get_content()
    assert text.startswith("Hallo Jonas, Ihre Bestellung vom ") and "(1.234,50\xa0€) ist unterwegs." in text
    assert to_jonas["From"] and "support@shop.test" in str(to_jonas["From"])
    to_giulia = mails["giulia@example.it"].get_content()  # English text, Italian money
    assert to_giulia.startswith("Hello Giulia, your order of ") and "(99,90\xa0€) has shipped." in to_giulia
    assert len(await firings(api, tenant, rule["id"])) == 2
    (sent,) = (await api.data(NOTIFICATIONS, {"c": german}, token=tenant.token))["customerNotifications"]
    assert sent["language"] == "de" and sent["category"] == "transactional"
    assert sent["delivery"]["state"] == "SENT" and sent["delivery"]["providerMessageId"] == to_jonas["Message-ID"]
    assert await Delivery.filter(tenant_id=tenant.id, notification_id__not_isnull=True, ticket_id=None).count() == 2


async def test_the_tenants_language_comes_before_english_and_no_mailbox_fails_the_delivery(
        api: Api, rt: Any, tenant: TenantFixture, relay: Any) -> None:
    await Tenant.filter(id=tenant.id).update(default_locale="de")
    assert (await api.data(CREATE_TEMPLATE, {"i": SHIPPED}, token=tenant.token))["createNotificationTemplate"][
        "errors"] == []
    await create_rule(api, tenant, trigger="crm.order.status_changed",
                      conditions={"field": "to", "op": "eq", "value": "shipped"},
                      actions=[{"action": "channels.notify_customer", "params": {"template": "Order shipped"}}])
    who = await _customer(api, tenant, "Ana", "ana@example.pt")  # no language of her own
    await move_order(api, tenant, await order(api, tenant, who, "10"), "shipped")
    await deliver(rt, tenant.id)
    (sent,) = (await api.data(NOTIFICATIONS, {"c": who}, token=tenant.token))["customerNotifications"]
    assert sent["language"] == "de" and sent["body"].startswith("Hallo Ana")
    assert sent["delivery"]["state"] == "FAILED" and sent["delivery"]["error"] == "no_channel"
    # Erased, the customer's notifications keep their rows and states, not their text.
    erased = await api.data(ERASE, {"i": {"customerId": who, "confirm": True}}, token=tenant.token)
    assert erased["eraseCustomer"]["errors"] == []
    await deliver(rt, tenant.id)
    (kept,) = (await api.data(NOTIFICATIONS, {"c": who}, token=tenant.token))["customerNotifications"]
    assert (kept["subject"], kept["body"], kept["delivery"]["state"]) == ("", "", "FAILED")


async def test_a_template_with_an_unknown_placeholder_is_refused_and_nothing_is_saved(
        api: Api, tenant: TenantFixture) -> None:
    bad = {"name": "Bad", "variants": [
        {"language": "en", "body": "Hello {{ customer.shoe_size }}"},
        {"language": "de", "subject": "{% if customer.first_name %}Hi{% endif %}", "body": "Hallo"},
        {"language": "xx-nope", "body": " "}]}
    data = (await api.post(CREATE_TEMPLATE, {"i": bad}, token=tenant.token, lang="de"))["data"]
    found = data["createNotificationTemplate"]
    assert found["template"] is None
    codes = [(e["code"], e["field"]) for e in found["errors"]]
    assert codes == [("UNKNOWN_PLACEHOLDER", ["variants", "0", "body"]),
                     ("FORBIDDEN_TEMPLATE", ["variants", "1", "subject"]),
                     ("INVALID_LANGUAGE", ["variants", "2", "language"]),
                     ("EMPTY_BODY", ["variants", "2", "body"])], codes
    unknown = found["errors"][0]["message"]
    assert "customer.shoe_size" in unknown and not unknown.startswith("Unknown placeholder")  # German
    assert not await NotificationTemplate.filter(tenant_id=tenant.id).exists()
    made = (await api.data(CREATE_TEMPLATE, {"i": SHIPPED}, token=tenant.token))["createNotificationTemplate"]
    changed = (await api.data(UPDATE_TEMPLATE, {"i": {"id": made["template"]["id"], "variants": [
        {"language": "en", "body": "{{ order.secret }}"}]}}, token=tenant.token))["updateNotificationTemplate"]
    assert [e["code"] for e in changed["errors"]] == ["UNKNOWN_PLACEHOLDER"]
    row = await NotificationTemplate.get(tenant_id=tenant.id, name="Order shipped")
    assert [v["language"] for v in row.variants] == ["en", "de"]  # unchanged
    taken = (await api.data(CREATE_TEMPLATE, {"i": SHIPPED}, token=tenant.token))["createNotificationTemplate"]
    assert [e["code"] for e in taken["errors"]] == ["NAME_TAKEN"]
    rule = (await api.data(CREATE_RULE, {"i": {"trigger": "crm.order.status_changed", "actions": [
        {"action": "channels.notify_customer", "params": {"template": "Nope"}}]}}, token=tenant.token))["createRule"]
    assert [(e["code"], e["field"]) for e in rule["errors"]] == [("NOT_FOUND", ["actions", "0", "params", "template"])]
    assert not await Notification.filter(tenant_id=tenant.id).exists()


async def test_templates_and_notifications_are_for_their_roles_and_their_tenant(
        api: Api, rt: Any, tenant: TenantFixture, other_tenant: TenantFixture) -> None:
    made = (await api.data(CREATE_TEMPLATE, {"i": SHIPPED}, token=tenant.token))["createNotificationTemplate"]
    who = await _customer(api, tenant, "Lea", "lea@example.fr")
    supervisor = await make_tenant(api, rt, role="supervisor")
    refused = await api.post(CREATE_TEMPLATE, {"i": SHIPPED}, token=supervisor.token)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await api.data(TEMPLATES, token=supervisor.token))["notificationTemplates"]["edges"] == []
    agent = await make_tenant(api, rt, role="agent")
    body = await api.post(TEMPLATES, token=agent.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Another tenant's admin sees none of them and changes nothing.
    assert (await api.data(TEMPLATES, token=other_tenant.token))["notificationTemplates"]["edges"] == []
    assert (await api.data(NOTIFICATIONS, {"c": who}, token=other_tenant.token))["customerNotifications"] == []
    changed = (await api.data(UPDATE_TEMPLATE, {"i": {"id": made["template"]["id"], "name": "Mine"}},
                              token=other_tenant.token))["updateNotificationTemplate"]
    assert [e["code"] for e in changed["errors"]] == ["NOT_FOUND"]
    mine = (await api.data(TEMPLATES, token=tenant.token))["notificationTemplates"]["edges"]
    assert [e["node"]["name"] for e in mine] == ["Order shipped"]
