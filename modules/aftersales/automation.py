"""What aftersales offers automation rules (core.automation): its ticket, return, refund and
shipment events as triggers, and changes to the event's ticket as actions. Actions go through the
same services as the API, as the system acting "via automation" (audit entries and ticket events
name no user)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from tortoise.transactions import in_transaction

from core.auth.principal import Principal
from core.automation import Action, ActionRun, AutomationContribution, Field, ParamCheck, Trigger
from core.errors import UserFacingError
from core.graphql.node import node_id_of
from core.i18n import N_
from modules.aftersales.models.returns import RETURN_KINDS, RETURN_STATUSES, SUGGESTIONS
from modules.aftersales.models.ticket import PRIORITIES, TICKET_CHANNELS, TICKET_STATUSES, TICKET_TYPES
from modules.aftersales.services.returns import requests
from modules.aftersales.services.sla.escalation import NOTIFY_TOPIC
from modules.aftersales.services.tickets import lifecycle
from modules.aftersales.services.tickets.messages import add_message

VIA = "automation"
TICKET = "ticket"
TICKET_FIELDS = (
    Field("type", "enum", N_("Ticket type"), TICKET_TYPES),
    Field("channel", "enum", N_("Channel"), TICKET_CHANNELS),
    Field("status", "enum", N_("Status"), TICKET_STATUSES),
    Field("priority", "enum", N_("Priority"), PRIORITIES),
    Field("language", "string", N_("Language (BCP 47)")),
)
TICKET_SUBJECTS = {"ticket": "ticket_id", "customer": "customer_id", "order": "order_id"}
Run = Callable[[Principal, int, Mapping[str, Any]], Awaitable[Any]]


def on_ticket(change: Run) -> Callable[[ActionRun, Mapping[str, Any]], Awaitable[None]]:
    """An action runner calling `change(actor, ticket_id, params)` as the system."""
    async def run(firing: ActionRun, params: Mapping[str, Any]) -> None:
        await change(Principal.system(firing.tenant_id, VIA), firing.subject_id, params)
    return run


def _id(params: Mapping[str, Any], name: str, type_name: str) -> int:
    pk = node_id_of(params[name], type_name)
    assert pk is not None  # checked when the rule was saved
    return pk


async def _check_member(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> None:
    errors: list[UserFacingError] = []
    await lifecycle.check_assignee(errors, tenant_id, _id(params, "user", "User"), "user")
    if errors:
        raise UserFacingError(errors[0].code, errors[0].message, [*path, "user"], errors[0].params, errors[0].domain)


async def _check_team(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> None:
    errors: list[UserFacingError] = []
    await lifecycle.check_team(errors, tenant_id, _id(params, "team", "Team"))
    if errors:
        raise UserFacingError(errors[0].code, errors[0].message, [*path, "team"], errors[0].params, errors[0].domain)


def _tag_name(value: Any, path: Sequence[str]) -> str:
    errors: list[UserFacingError] = []
    names = lifecycle.tag_names(errors, [str(value)])
    if errors:
        raise UserFacingError(errors[0].code, errors[0].message, list(path), errors[0].params, errors[0].domain)
    return names[0]


async def _check_tag(tenant_id: int, params: Mapping[str, Any], path: Sequence[str]) -> None:
    _tag_name(params["tag"], [*path, "tag"])


def _tagging(added: bool) -> Run:
    async def change(actor: Principal, ticket_id: int, params: Mapping[str, Any]) -> None:
        name = _tag_name(params["tag"], ["tag"])
        async with in_transaction():
            ticket = await lifecycle.get_ticket(actor.tenant_id, ticket_id, lock=True)
            await lifecycle.retag(actor, ticket, [name] if added else [], [] if added else [name])
    return change


def ticket_action(name: str, label: str, params: Sequence[Field], run: Run, check: ParamCheck | None = None) -> Action:
    """An action on the event's ticket, run as the system (`on_ticket`), shown by the ticket's global ID."""
    return Action(name, label, TICKET, params, on_ticket(run), check, subject_type="Ticket")


def _changes(**values: Any) -> lifecycle.TicketChanges:
    return lifecycle.TicketChanges(**values)


contribution = AutomationContribution(
    triggers=[
        Trigger(lifecycle.CREATED, N_("Ticket created"), (
            *TICKET_FIELDS, Field("tags", "list", N_("Tags"))), TICKET_SUBJECTS),
        Trigger(lifecycle.STATUS_CHANGED, N_("Ticket status changed"), (
            Field("from", "enum", N_("Previous status"), TICKET_STATUSES),
            Field("to", "enum", N_("New status"), TICKET_STATUSES), *TICKET_FIELDS), TICKET_SUBJECTS),
        Trigger(NOTIFY_TOPIC, N_("Ticket escalated (an SLA escalation rule that notifies)"), (
            Field("clock", "string", N_("SLA clock")), Field("trigger", "string", N_("Escalation trigger")),
            Field("level", "number", N_("Escalation level"))), {TICKET: "ticketId"}),
        Trigger(requests.RETURN_CREATED, N_("Return requested"), (
            Field("kind", "enum", N_("Kind"), RETURN_KINDS),
            Field("suggestion", "enum", N_("Policy suggestion"), SUGGESTIONS),
            Field("windowOverridden", "boolean", N_("Return window overridden"))),
            {"order": "order", "customer": "customer_id", TICKET: "ticket_id"}),
        Trigger(requests.RETURN_STATUS_CHANGED, N_("Return status changed"), (
            Field("from", "enum", N_("Previous status"), RETURN_STATUSES),
            Field("to", "enum", N_("New status"), RETURN_STATUSES)), {"return": "return_id"}),
        Trigger("aftersales.refund_created", N_("Refund created"), (
            Field("amount", "money", N_("Amount")),), {"order": "order_id", "customer": "customer_id"}),
        Trigger("aftersales.shipment_stale", N_("Return shipment stopped moving"), (
            Field("carrier", "string", N_("Carrier")),
            Field("last_movement_at", "datetime", N_("Last movement"))), {"return": "return_id"}),
    ],
    actions=[
        ticket_action("aftersales.set_ticket_priority", N_("Set the ticket's priority"),
                      (Field("priority", "enum", N_("Priority"), PRIORITIES),),
                      lambda a, t, p: lifecycle.update_ticket(a, t, _changes(priority=p["priority"]))),
        ticket_action("aftersales.set_ticket_status", N_("Set the ticket's status"),
                      (Field("status", "enum", N_("Status"), TICKET_STATUSES),),
                      lambda a, t, p: lifecycle.change_status(a, t, p["status"])),
        ticket_action("aftersales.assign_ticket", N_("Assign the ticket to a user"),
                      (Field("user", "node", N_("User"), node_type="User"),),
                      lambda a, t, p: lifecycle.update_ticket(a, t, _changes(assignee_id=_id(p, "user", "User"))),
                      _check_member),
        ticket_action("aftersales.assign_ticket_team", N_("Give the ticket to a team"),
                      (Field("team", "node", N_("Team"), node_type="Team"),),
                      lambda a, t, p: lifecycle.update_ticket(a, t, _changes(team_id=_id(p, "team", "Team"))),
                      _check_team),
        ticket_action("aftersales.add_ticket_tag", N_("Add a tag to the ticket"),
                      (Field("tag", "string", N_("Tag")),), _tagging(True), _check_tag),
        ticket_action("aftersales.remove_ticket_tag", N_("Remove a tag from the ticket"),
                      (Field("tag", "string", N_("Tag")),), _tagging(False), _check_tag),
        ticket_action("aftersales.add_internal_note", N_("Add an internal note to the ticket"),
                      (Field("body", "string", N_("Note")),),
                      lambda a, t, p: add_message(a, t, "note", p["body"])),
    ],
)
