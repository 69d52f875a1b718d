"""What channels offers automation rules (core.automation): notifying the event's customer from a
template. The action lives here, where delivery lives: automation depends on no module, and a rule
names it like any other module's action."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.automation import Action, ActionRun, AutomationContribution, Field
from core.i18n import N_
from modules.channels.services.errors import channels_error as err
from modules.channels.services.notifications.send import notify_customer
from modules.channels.services.notifications.templates import template_named


async def _check(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> None:
    if await template_named(tenant_id, str(params["template"])) is None:
        raise err("NOT_FOUND", N_("No notification template is named {name}."), [*path, "template"],
                  name=params["template"])


async def _notify(run: ActionRun, params: Mapping[str, Any]) -> None:
    order = run.data.get("order_id") or run.data.get("order")  # the event's order (a return's is "order")
    await notify_customer(run.tenant_id, run.subject_id, str(params["template"]),
                          order if isinstance(order, int) and not isinstance(order, bool) else None)


contribution = AutomationContribution(actions=[
    Action("channels.notify_customer", N_("Notify the customer from a template"), "customer",
           (Field("template", "string", N_("Notification template")),), _notify, _check, "Customer"),
])
