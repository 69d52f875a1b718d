"""Tickets: creating them, changing their status, assignee, priority, links and tags.

Every change happens in one transaction with its TicketEvent (the ticket's own history), the
audit entry where it matters (assignments, status) and the SLA clocks; live inboxes are told
after the commit. The other aftersales parts are called through their modules (priority,
routing, sla, live, translation) so their implementations are the ones that run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit, events, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.models import Membership
from core.sql import fetch
from core.tenancy import scoped
from modules.aftersales.models import Ticket, TicketEvent, TicketMessage, TicketOrderLine, TicketTag
from modules.aftersales.models.ticket import PRIORITIES, TICKET_CHANNELS, TICKET_STATUSES, TICKET_TYPES
from modules.aftersales.services import language, live, state_machine, translation
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.routing import assignment as routing
from modules.aftersales.services.routing import priority
from modules.aftersales.services.sla import clocks as sla
from modules.crm.models import Customer, Order, OrderLine
from modules.team.models import Team

UNSET: Any = object()
MAX_SUBJECT = 255
MAX_BODY = 100_000
MAX_TAGS = 20
MAX_TAG = 50
MAX_ATTACHMENTS = 20
MAX_ORDER_LINES = 100
DUE_SOON = timedelta(hours=1)


# --- Validation ------------------------------------------------------------------------------

def choice(errors: list[UserFacingError], value: str, choices: Sequence[str], path: Sequence[str]) -> str:
    if value not in choices:
        errors.append(err("INVALID_CHOICE", N_("Choose one of: {choices}."), path, choices=", ".join(choices)))
    return value


def subject(errors: list[UserFacingError], value: str) -> str:
    text = " ".join(value.split())
    if not text:
        errors.append(err("EMPTY_SUBJECT", N_("A ticket needs a subject."), ["subject"]))
    elif len(text) > MAX_SUBJECT:
        errors.append(err("TOO_LONG", N_("At most {max} characters."), ["subject"], max=MAX_SUBJECT))
    return text


def body(errors: list[UserFacingError], value: str, path: Sequence[str] = ("body",)) -> str:
    text = value.strip()
    if not text:
        errors.append(err("EMPTY_BODY", N_("A message cannot be empty."), path))
    elif len(text) > MAX_BODY:
        errors.append(err("TOO_LONG", N_("At most {max} characters."), path, max=MAX_BODY))
    return text


@dataclass
class Attachment:
    """An attachment's metadata. The file lives elsewhere: behind `url` (a link the client gave),
    or in core.storage under `key` (a file that came in with a message; shown through a signed
    link). `refused` says why a file that came in was not kept (`executable`, `too_large`).
    Only the services set `key` and `refused`: no API input names a storage key."""

    name: str
    content_type: str
    size: int
    url: str = ""
    key: str = ""
    refused: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "contentType": self.content_type, "size": self.size,
                                "url": self.url}
        if self.key:
            data["key"] = self.key
        if self.refused:
            data["refused"] = self.refused
        return data


def attachments(errors: list[UserFacingError], items: Sequence[Attachment]) -> list[dict[str, Any]]:
    if len(items) > MAX_ATTACHMENTS:
        errors.append(err("TOO_MANY", N_("At most {max} items."), ["attachments"], max=MAX_ATTACHMENTS))
        return []
    result = []
    for i, a in enumerate(items):
        path = ["attachments", str(i)]
        url = urlsplit(a.url.strip())
        if not a.name.strip() or len(a.name) > 255:
            errors.append(err("INVALID_ATTACHMENT", N_("An attachment name has 1 to 255 characters."), [*path, "name"]))
        if not a.content_type.strip() or len(a.content_type) > 100 or "/" not in a.content_type:
            errors.append(err("INVALID_ATTACHMENT", N_("A content type looks like image/png."), [*path, "contentType"]))
        if a.size < 0:
            errors.append(err("INVALID_ATTACHMENT", N_("A size cannot be negative."), [*path, "size"]))
        stored = bool(a.key or a.refused)  # a file that came in (services only), not a link
        if not stored and (url.scheme not in ("http", "https") or not url.netloc or len(a.url) > 2000):
            errors.append(err("INVALID_ATTACHMENT", N_("An attachment URL starts with https://."), [*path, "url"]))
        result.append(Attachment(a.name.strip(), a.content_type.strip().lower(), a.size, a.url.strip(),
                                 a.key, a.refused).as_json())
    return result


def tag_names(errors: list[UserFacingError], names: Sequence[str], path: str = "tags") -> list[str]:
    """Trimmed, lower-cased, without duplicates, in the order given."""
    result: list[str] = []
    for i, raw in enumerate(names):
        name = " ".join(raw.split()).lower()
        if not name or len(name) > MAX_TAG:
            errors.append(err("INVALID_TAG", N_("A tag has 1 to {max} characters."), [path, str(i)], max=MAX_TAG))
        elif name not in result:
            result.append(name)
    if len(result) > MAX_TAGS:
        errors.append(err("TOO_MANY", N_("At most {max} items."), [path], max=MAX_TAGS))
    return result


def language_tag(errors: list[UserFacingError], value: str) -> str:
    return validation.collect(errors, validation.language, value, ["language"]) or ""


def primary(tag: str) -> str:
    """"de-DE" -> "de": what detection and translation compare."""
    return tag.split("-")[0].lower()


def tenant_language(actor: Principal) -> str:
    """The tenant's language, as authentication loaded it with the membership (no extra query)."""
    return primary(actor.tenant_locale.replace("_", "-"))


async def translated(tenant_id: int, text: str, source: str, target: str) -> tuple[str | None, str | None]:
    """(translated body, its language), or (None, None) when there is nothing to translate."""
    if not source or not target or primary(source) == primary(target):
        return None, None
    result = await translation.translate(tenant_id, text, source, target)
    return (result, target) if result is not None else (None, None)


# --- Look-ups inside the caller's tenant -----------------------------------------------------

def tickets(tenant_id: int) -> QuerySet[Ticket]:
    return scoped(Ticket, tenant_id)


async def get_ticket(tenant_id: int, ticket_id: int, path: str = "ticketId", *, lock: bool = False) -> Ticket:
    qs = tickets(tenant_id).filter(id=ticket_id)
    row = await (qs.select_for_update() if lock else qs).first()
    if row is None:
        raise err("NOT_FOUND", N_("No such ticket."), [path])
    return row


async def find_by_number(tenant_id: int, number: int) -> Ticket | None:
    """The tenant's ticket with this number (what customers quote: `[#1234]` in a subject)."""
    return await tickets(tenant_id).filter(number=number).first()


async def check_assignee(errors: list[UserFacingError], tenant_id: int, user_id: int | None, path: str) -> None:
    if user_id is not None and not await Membership.filter(
            tenant_id=tenant_id, user_id=user_id, is_active=True).exists():
        errors.append(err("NOT_FOUND", N_("No such member of this team."), [path]))


async def check_team(errors: list[UserFacingError], tenant_id: int, team_id: int | None) -> None:
    if team_id is not None and not await scoped(Team, tenant_id).filter(id=team_id).exists():
        errors.append(err("NOT_FOUND", N_("No such team."), ["teamId"]))


async def check_links(errors: list[UserFacingError], tenant_id: int, customer_id: int | None, order_id: int | None,
                      order_line_ids: Sequence[int]) -> int | None:
    """The customer, order and order lines must be this tenant's, the lines the order's, the order
    the customer's. Returns the customer to link (the order's, when only the order is given)."""
    customer_found = customer_id is None or await scoped(Customer, tenant_id).filter(id=customer_id).exists()
    if not customer_found:
        errors.append(err("NOT_FOUND", N_("No such customer."), ["customerId"]))
    if order_id is not None:
        order = await scoped(Order, tenant_id).filter(id=order_id).first().values("customer_id")
        if order is None:
            errors.append(err("NOT_FOUND", N_("No such order."), ["orderId"]))
        elif customer_id is None:
            customer_id = order["customer_id"]
        elif customer_found and order["customer_id"] != customer_id:
            errors.append(err("ORDER_OF_ANOTHER_CUSTOMER", N_("This order belongs to another customer."),
                              ["orderId"]))
    if order_line_ids:
        if order_id is None:
            errors.append(err("ORDER_REQUIRED", N_("Order lines need their order."), ["orderLineIds"]))
        elif len(order_line_ids) > MAX_ORDER_LINES:
            errors.append(err("TOO_MANY", N_("At most {max} items."), ["orderLineIds"], max=MAX_ORDER_LINES))
        else:
            found = set(await scoped(OrderLine, tenant_id).filter(id__in=list(order_line_ids), order_id=order_id)
                        .values_list("id", flat=True))
            errors += [err("NOT_FOUND", N_("No such line in this order."), ["orderLineIds", str(i)])
                       for i, line in enumerate(order_line_ids) if line not in found]
    return customer_id


async def next_number(tenant_id: int) -> int:
    """The tenant's next ticket number, from one atomic upsert of its counter row (its row lock
    on PostgreSQL, the single writer on SQLite, keep concurrent creates apart)."""
    rows = await fetch(
        "INSERT INTO aftersales_ticket_counter (tenant_id, issued) VALUES ({p[0]}, 1) "
        "ON CONFLICT (tenant_id) DO UPDATE SET issued = aftersales_ticket_counter.issued + 1 "
        "RETURNING issued", [tenant_id])
    return int(rows[0]["issued"])


# --- Changes ---------------------------------------------------------------------------------

CREATED = "aftersales.ticket.created"
STATUS_CHANGED = "aftersales.ticket.status_changed"


def ticket_facts(ticket: Ticket) -> dict[str, Any]:
    """What a ticket's outbox events carry (the fields its automation triggers declare): ids and
    codes, never the subject, the messages or contact data."""
    return {"ticket_id": ticket.id, "customer_id": ticket.customer_id, "order_id": ticket.order_id,
            "number": ticket.number, "type": ticket.type, "channel": ticket.channel, "status": ticket.status,
            "priority": ticket.priority, "language": ticket.language, "team_id": ticket.team_id,
            "assignee_id": ticket.assignee_id}


async def event(actor: Principal | None, ticket: Ticket, kind: str, data: dict[str, Any]) -> None:
    await TicketEvent.create(tenant_id=ticket.tenant_id, ticket_id=ticket.id,
                             actor_id=actor.user_id if actor else None, kind=kind, data=data)


async def set_status(actor: Principal | None, ticket: Ticket, target: str, now: datetime,
                     path: Sequence[str] = ("status",)) -> bool:
    """Move the ticket (unsaved) to `target`; False when it is there already. Refuses what the
    state machine forbids with INVALID_TRANSITION."""
    current = ticket.status
    if current == target:
        return False
    if not state_machine.allowed(current, target):
        raise err("INVALID_TRANSITION", N_("A ticket cannot go from {from} to {to}."), path,
                  **{"from": current, "to": target})
    ticket.status = target
    if state_machine.is_reopen(current, target):
        ticket.resolved_at = ticket.closed_at = None
    if target in ("resolved", "closed") and ticket.resolved_at is None:
        ticket.resolved_at = now
    if target == "closed":
        ticket.closed_at = now
    await event(actor, ticket, "status_changed", {"from": current, "to": target})
    await events.emit(STATUS_CHANGED, {**ticket_facts(ticket), "from": current, "to": target}, ticket.tenant_id)
    await audit.record(actor, ticket.tenant_id, "ticket.status", "Ticket", ticket.id,
                       {"status": current}, {"status": target})
    await sla.refresh_clocks(ticket, "status_changed", now)
    return True


async def set_assignee(actor: Principal | None, ticket: Ticket, user_id: int | None) -> bool:
    before = ticket.assignee_id
    if before == user_id:
        return False
    ticket.assignee_id = user_id
    await event(actor, ticket, "assigned", {"from": before, "to": user_id})
    await audit.record(actor, ticket.tenant_id, "ticket.assign", "Ticket", ticket.id,
                       {"assignee": before}, {"assignee": user_id})
    return True


async def set_priority(actor: Principal | None, ticket: Ticket, value: str, now: datetime) -> bool:
    """An agent's choice: the priority rules leave the ticket alone from now on."""
    before = ticket.priority
    ticket.priority_overridden = True
    if before == value:
        return False
    ticket.priority = value
    await event(actor, ticket, "priority_changed", {"from": before, "to": value})
    await sla.refresh_clocks(ticket, "priority_changed", now)
    return True


async def retag(actor: Principal | None, ticket: Ticket, add: Sequence[str], remove: Sequence[str] = (),
                replace: bool = False) -> bool:
    """Add and remove tags (or, with `replace`, make `add` the whole set); one event for all of it."""
    current = list(await scoped(TicketTag, ticket.tenant_id).filter(ticket_id=ticket.id)
                   .order_by("name").values_list("name", flat=True))
    wanted = list(add) if replace else [*(t for t in current if t not in remove), *add]
    wanted = list(dict.fromkeys(wanted))
    added = [t for t in wanted if t not in current]
    removed = [t for t in current if t not in wanted]
    if len(wanted) > MAX_TAGS:
        raise err("TOO_MANY", N_("At most {max} items."), ["tags"], max=MAX_TAGS)
    if not added and not removed:
        return False
    if removed:
        await scoped(TicketTag, ticket.tenant_id).filter(ticket_id=ticket.id, name__in=removed).delete()
    await TicketTag.bulk_create([TicketTag(tenant_id=ticket.tenant_id, ticket_id=ticket.id, name=n) for n in added])
    await event(actor, ticket, "tags_changed", {"added": added, "removed": removed})
    return True


def sla_state(ticket: Ticket, now: datetime | None = None) -> str:
    """ok, due_soon (the next deadline within DUE_SOON), breached, paused (waiting on the customer)
    or none (no clock runs)."""
    now = now or datetime.now(UTC)
    if ticket.sla_breached:
        return "breached"
    if ticket.sla_paused_at is not None:
        return "paused"
    if ticket.next_sla_due is None:
        return "none"
    if ticket.next_sla_due <= now:
        return "breached"
    return "due_soon" if ticket.next_sla_due <= now + DUE_SOON else "ok"


# --- Create ----------------------------------------------------------------------------------

@dataclass
class NewTicket:
    type: str
    channel: str
    subject: str
    body: str
    attachments: Sequence[Attachment] = ()
    customer_id: int | None = None
    order_id: int | None = None
    order_line_ids: Sequence[int] = ()
    language: str | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    priority: str | None = None
    tags: Sequence[str] = field(default_factory=list)


async def create_ticket(actor: Principal, data: NewTicket) -> Ticket:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    choice(errors, data.type, TICKET_TYPES, ["type"])
    choice(errors, data.channel, TICKET_CHANNELS, ["channel"])
    if data.priority is not None:
        choice(errors, data.priority, PRIORITIES, ["priority"])
    title = subject(errors, data.subject)
    text = body(errors, data.body)
    files = attachments(errors, data.attachments)
    tags = tag_names(errors, data.tags)
    lang = language_tag(errors, data.language) if data.language else None
    if errors:
        raise UserFacingErrors(errors)
    if lang is None:
        lang = await language.detect(f"{title}\n{text}")
    translation_of = await translated(tid, text, lang, tenant_language(actor))
    now = datetime.now(UTC)
    async with in_transaction():
        customer_id = await check_links(errors, tid, data.customer_id, data.order_id, data.order_line_ids)
        await check_team(errors, tid, data.team_id)
        await check_assignee(errors, tid, data.assignee_id, "assigneeId")
        if errors:
            raise UserFacingErrors(errors)
        ticket = await Ticket.create(
            tenant_id=tid, number=await next_number(tid), type=data.type, channel=data.channel, subject=title,
            language=lang, priority=data.priority or "normal", priority_overridden=data.priority is not None,
            team_id=data.team_id, assignee_id=data.assignee_id, customer_id=customer_id, order_id=data.order_id,
            last_message_at=now)
        await TicketMessage.create(tenant_id=tid, ticket_id=ticket.id, kind="inbound", body=text, language=lang,
                                   translated_body=translation_of[0], translated_language=translation_of[1],
                                   attachments=files)
        await TicketOrderLine.bulk_create([TicketOrderLine(tenant_id=tid, ticket_id=ticket.id, order_line_id=i)
                                           for i in dict.fromkeys(data.order_line_ids)])
        await TicketTag.bulk_create([TicketTag(tenant_id=tid, ticket_id=ticket.id, name=n) for n in tags])
        await event(actor, ticket, "created", {"channel": data.channel, "type": data.type})
        if data.priority is None:
            computed = await priority.compute(ticket, f"{title}\n{text}")
            if computed is not None:
                ticket.priority = computed
        if data.team_id is None or data.assignee_id is None:
            team_id, assignee_id = ticket.team_id, ticket.assignee_id
            await routing.route(ticket)
            if (team_id, assignee_id) != (ticket.team_id, ticket.assignee_id):
                await event(None, ticket, "routed", {"team": ticket.team_id, "assignee": ticket.assignee_id})
        await sla.refresh_clocks(ticket, "created", now)
        await ticket.save()
        await audit.record(actor, tid, "ticket.create", "Ticket", ticket.id, None,
                           {"number": ticket.number, "type": ticket.type, "channel": ticket.channel,
                            "priority": ticket.priority, "team": ticket.team_id, "assignee": ticket.assignee_id})
        await events.emit(CREATED, {**ticket_facts(ticket), "tags": tags}, tid)
    await live.ticket_changed(ticket, "created")
    return ticket


# --- Status ----------------------------------------------------------------------------------

async def change_status(actor: Principal, ticket_id: int, status: str) -> Ticket:
    errors: list[UserFacingError] = []
    choice(errors, status, TICKET_STATUSES, ["status"])
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        ticket = await get_ticket(actor.tenant_id, ticket_id, lock=True)
        before = live.TicketPlace.of(ticket)
        changed = await set_status(actor, ticket, status, datetime.now(UTC))
        if changed:
            await ticket.save()
    if changed:
        await live.ticket_changed(ticket, "status_changed", before)
    return ticket


async def reopen(actor: Principal, ticket_id: int) -> Ticket:
    """Back to open: only a resolved or closed ticket can be reopened."""
    async with in_transaction():
        ticket = await get_ticket(actor.tenant_id, ticket_id, lock=True)
        if ticket.status not in ("resolved", "closed"):
            raise err("NOT_FINISHED", N_("Only a resolved or closed ticket can be reopened."), ["ticketId"])
        before = live.TicketPlace.of(ticket)
        await set_status(actor, ticket, "open", datetime.now(UTC))
        await ticket.save()
    await live.ticket_changed(ticket, "status_changed", before)
    return ticket


# --- Update ----------------------------------------------------------------------------------

@dataclass
class TicketChanges:
    """What an update sets; UNSET leaves a field as it is, None clears a link."""

    assignee_id: Any = UNSET
    team_id: Any = UNSET
    priority: Any = UNSET
    type: Any = UNSET
    subject: Any = UNSET
    tags: Any = UNSET
    customer_id: Any = UNSET
    order_id: Any = UNSET


async def update_ticket(actor: Principal, ticket_id: int, changes: TicketChanges) -> Ticket:
    tid = actor.tenant_id
    c = changes
    errors: list[UserFacingError] = []
    if c.priority is not UNSET:
        choice(errors, c.priority, PRIORITIES, ["priority"])
    if c.type is not UNSET:
        choice(errors, c.type, TICKET_TYPES, ["type"])
    title = subject(errors, c.subject) if c.subject is not UNSET else None
    tags = tag_names(errors, c.tags) if c.tags is not UNSET else None
    if errors:
        raise UserFacingErrors(errors)
    now = datetime.now(UTC)
    async with in_transaction():
        ticket = await get_ticket(tid, ticket_id, lock=True)
        before = live.TicketPlace.of(ticket)
        links = c.customer_id is not UNSET or c.order_id is not UNSET
        customer_id = ticket.customer_id if c.customer_id is UNSET else c.customer_id
        order_id = ticket.order_id if c.order_id is UNSET else c.order_id
        if links:
            customer_id = await check_links(errors, tid, customer_id, order_id, ())
        if c.team_id is not UNSET:
            await check_team(errors, tid, c.team_id)
        if c.assignee_id is not UNSET:
            await check_assignee(errors, tid, c.assignee_id, "assigneeId")
        if errors:
            raise UserFacingErrors(errors)
        changed = False
        if c.assignee_id is not UNSET:
            changed |= await set_assignee(actor, ticket, c.assignee_id)
        if c.team_id is not UNSET and c.team_id != ticket.team_id:
            await event(actor, ticket, "team_changed", {"from": ticket.team_id, "to": c.team_id})
            ticket.team_id = c.team_id
            await sla.refresh_clocks(ticket, "team_changed", now)
            changed = True
        if c.priority is not UNSET:
            changed |= await set_priority(actor, ticket, c.priority, now)
        for name, value in (("type", c.type), ("subject", title)):
            if value is not UNSET and value is not None and getattr(ticket, name) != value:
                await event(actor, ticket, f"{name}_changed", {"from": getattr(ticket, name), "to": value})
                setattr(ticket, name, value)
                changed = True
        if links and (customer_id, order_id) != (ticket.customer_id, ticket.order_id):
            await event(actor, ticket, "links_changed", {"from": {"customer": ticket.customer_id,
                                                                  "order": ticket.order_id},
                                                         "to": {"customer": customer_id, "order": order_id}})
            if order_id != ticket.order_id:  # the lines were the old order's
                await scoped(TicketOrderLine, tid).filter(ticket_id=ticket.id).delete()
            ticket.customer_id, ticket.order_id = customer_id, order_id
            changed = True
        if tags is not None:
            changed |= await retag(actor, ticket, tags, replace=True)
        if changed or c.priority is not UNSET:
            await ticket.save()
    if changed:
        await live.ticket_changed(ticket, "updated", before)
    return ticket
