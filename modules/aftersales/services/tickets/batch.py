"""One change to many tickets at once (the inbox's "select all, assign to me, close").

All or nothing: every ticket is checked first (found in the tenant, transition allowed) and
every offending one is reported with its index in `ticketIds`; only when none offends is
anything written, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from modules.aftersales.models import Ticket
from modules.aftersales.models.ticket import PRIORITIES, TICKET_STATUSES
from modules.aftersales.services import live, state_machine
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.tickets.lifecycle import (
    UNSET,
    check_assignee,
    choice,
    retag,
    set_assignee,
    set_priority,
    set_status,
    tag_names,
    tickets,
)

MAX_BATCH = 500


async def batch_update(actor: Principal, ticket_ids: Sequence[int], *, assignee_id: Any = UNSET,
                       status: str | None = None, priority: str | None = None, add_tags: Sequence[str] = (),
                       remove_tags: Sequence[str] = ()) -> list[Ticket]:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    if not ticket_ids:
        errors.append(err("EMPTY_BATCH", N_("Choose at least one ticket."), ["ticketIds"]))
    elif len(ticket_ids) > MAX_BATCH:
        errors.append(err("BATCH_TOO_LARGE", N_("At most {max} tickets at once."), ["ticketIds"], max=MAX_BATCH))
    if status is not None:
        choice(errors, status, TICKET_STATUSES, ["status"])
    if priority is not None:
        choice(errors, priority, PRIORITIES, ["priority"])
    add = tag_names(errors, add_tags, "addTags")
    remove = tag_names(errors, remove_tags, "removeTags")
    if errors:
        raise UserFacingErrors(errors)
    now = datetime.now(UTC)
    async with in_transaction():
        rows = {t.id: t for t in await tickets(tid).filter(id__in=list(set(ticket_ids))).select_for_update()}
        for i, ticket_id in enumerate(ticket_ids):
            ticket = rows.get(ticket_id)
            if ticket is None:
                errors.append(err("NOT_FOUND", N_("No such ticket."), ["ticketIds", str(i)]))
            elif status is not None and status != ticket.status and not state_machine.allowed(ticket.status, status):
                errors.append(err("INVALID_TRANSITION", N_("Ticket {number} cannot go from {from} to {to}."),
                                  ["ticketIds", str(i)], number=ticket.number,
                                  **{"from": ticket.status, "to": status}))
        if assignee_id is not UNSET:
            await check_assignee(errors, tid, assignee_id, "assigneeId")
        if errors:
            raise UserFacingErrors(errors)
        changed: list[tuple[Ticket, live.TicketPlace]] = []
        for ticket in (rows[i] for i in dict.fromkeys(ticket_ids)):
            before = live.TicketPlace.of(ticket)
            done = False
            if assignee_id is not UNSET:
                done |= await set_assignee(actor, ticket, assignee_id)
            if status is not None:
                done |= await set_status(actor, ticket, status, now)
            if priority is not None:
                done |= await set_priority(actor, ticket, priority, now)
            if add or remove:
                done |= await retag(actor, ticket, add, remove)
            if done or priority is not None:
                await ticket.save()
            if done:
                changed.append((ticket, before))
    for ticket, before in changed:
        await live.ticket_changed(ticket, "updated", before)
    return [rows[i] for i in dict.fromkeys(ticket_ids)]
