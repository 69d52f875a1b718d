"""A pre-approved message template sent on a ticket (WhatsApp: the only message a business may
send once the customer's 24-hour window has closed). Stored as an outbound ticket message that
names the template and its parameters, and queued in the same transaction with the template on
its delivery, so the worker sends the template rather than the text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tortoise.transactions import in_transaction

from core import channels as registry
from core.auth.principal import Principal
from core.channels import Template
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from modules.aftersales.models import Ticket, TicketMessage
from modules.aftersales.services import TicketPlace, add_message, get_ticket, ticket_changed
from modules.channels.services.errors import channels_error
from modules.channels.services.outbound import queue, reply_account

NAME = re.compile(r"[a-z0-9_]{1,512}")  # Meta's template names: lower case, digits, underscores
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")  # en, en_US, pt_BR, zh_CN
MAX_PARAMETERS, MAX_PARAMETER = 20, 1024


def _checked(name: str, language: str, parameters: Sequence[str]) -> Template:
    errors: list[UserFacingError] = []
    if not NAME.fullmatch(name):
        errors.append(channels_error("INVALID_TEMPLATE", N_(
            "A template name has lower-case letters, digits and underscores, as it was approved."), ["name"]))
    if not LANGUAGE.fullmatch(language):
        errors.append(channels_error("INVALID_LANGUAGE", N_(
            "A template language is the code it was approved in, such as en or en_US."), ["language"]))
    if len(parameters) > MAX_PARAMETERS:
        errors.append(channels_error("TOO_MANY", N_("At most {max} items."), ["parameters"], max=MAX_PARAMETERS))
    for i, value in enumerate(parameters[:MAX_PARAMETERS]):
        if not value.strip() or len(value) > MAX_PARAMETER:
            errors.append(channels_error("INVALID_PARAMETER", N_("A parameter has 1 to {max} characters."),
                                         ["parameters", str(i)], max=MAX_PARAMETER))
    if errors:
        raise UserFacingErrors(errors)
    return Template(name, language, tuple(parameters))


def as_text(template: Template) -> str:
    """What the ticket shows of it: the template's name and language, and the values it was given."""
    values = " | ".join(template.parameters)
    return f"[template {template.name} ({template.language})] {values}".strip()


async def send_template(actor: Principal, ticket_id: int, name: str, language: str,
                        parameters: Sequence[str] = ()) -> tuple[TicketMessage, Ticket]:
    template = _checked(name, language, parameters)
    tid = actor.tenant_id
    ticket = await get_ticket(tid, ticket_id)
    account, _ = await reply_account(tid, ticket.id, ticket.channel)
    kind = registry.kind(account.kind) if account is not None else None
    if account is None or kind is None or not kind.templates:
        raise channels_error("TEMPLATES_UNSUPPORTED", N_("This ticket's channel cannot send templates."), ["ticketId"])
    before = TicketPlace.of(ticket)
    async with in_transaction():
        message, ticket = await add_message(actor, ticket.id, "outbound", as_text(template),
                                            language=ticket.language, publish=False, free_form=False)
        await queue(tid, message.id, ticket.id, account, template=template)
    await ticket_changed(ticket, "message_added", before)
    return message, ticket
