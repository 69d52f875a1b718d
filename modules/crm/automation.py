"""What crm offers automation rules (core.automation): its order and customer events as triggers,
and tagging the event's customer as actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.auth.principal import Principal
from core.automation import Action, ActionRun, AutomationContribution, Field, Trigger
from core.i18n import N_
from modules.crm.models.customer import STAGES, TIERS
from modules.crm.models.order import ORDER_STATUSES
from modules.crm.services import customers, orders, tags
from modules.crm.services.errors import crm_error

VIA = "automation"  # how the audit log names what a rule did
ORDER_FIELDS = (
    Field("status", "enum", N_("Order status"), ORDER_STATUSES),
    Field("total", "money", N_("Order total")),
)
ORDER_SUBJECTS = {"customer": "customer_id", "order": "order_id"}


async def _tag(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> int:
    tag = await tags.tag_named(tenant_id, str(params["tag"]))
    if tag is None:
        raise crm_error("NOT_FOUND", N_("No tag is named {name}: create it first."), [*path, "tag"],
                        name=params["tag"])
    return tag.id


async def _check_tag(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> None:
    await _tag(tenant_id, params, path)


def _tagging(tagged: bool) -> Any:
    async def run(firing: ActionRun, params: Mapping[str, Any]) -> None:
        tag_id = await _tag(firing.tenant_id, params, ("tag",))
        await customers.set_tags(Principal.system(firing.tenant_id, VIA), [tag_id], [firing.subject_id], tagged)
    return run


contribution = AutomationContribution(
    triggers=[
        Trigger(orders.CREATED, N_("Order created"), ORDER_FIELDS, ORDER_SUBJECTS),
        Trigger(orders.STATUS_CHANGED, N_("Order status changed"), (
            Field("from", "enum", N_("Previous status"), ORDER_STATUSES),
            Field("to", "enum", N_("New status"), ORDER_STATUSES),
            *ORDER_FIELDS,
        ), ORDER_SUBJECTS),
        Trigger(customers.CREATED, N_("Customer created"), (
            Field("tier", "enum", N_("Tier"), TIERS),
            Field("stage", "enum", N_("Stage"), STAGES),
            Field("country", "string", N_("Country (ISO 3166)")),
            Field("language", "string", N_("Language (BCP 47)")),
            Field("marketing_consent", "boolean", N_("Marketing consent")),
        ), {"customer": "customer_id"}),
    ],
    actions=[
        Action("crm.add_tag", N_("Add a tag to the customer"), "customer",
               (Field("tag", "string", N_("Tag name")),), _tagging(True), _check_tag, "Customer"),
        Action("crm.remove_tag", N_("Remove a tag from the customer"), "customer",
               (Field("tag", "string", N_("Tag name")),), _tagging(False), _check_tag, "Customer"),
    ],
)
