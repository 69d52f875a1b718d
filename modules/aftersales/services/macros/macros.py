"""Macros (canned replies): saving them with their language variants and actions, choosing the
variant for a ticket, rendering it, and applying it (an outbound reply plus status, priority and tags).

Templates are checked at save time (services/macros/templates.py), so a stored macro only ever contains
text and known placeholders; rendering can still fail for one ticket (MISSING_VALUE: no order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from tortoise.transactions import in_transaction

from core import audit, validation
from core.auth.principal import Principal
from core.errors import UserFacingError, UserFacingErrors
from core.i18n import N_
from core.tenancy import scoped
from modules.aftersales.models import Macro, MacroVariant, Ticket, TicketMessage
from modules.aftersales.models.ticket import PRIORITIES, TICKET_STATUSES
from modules.aftersales.services import live
from modules.aftersales.services.errors import aftersales_error as err
from modules.aftersales.services.macros import templates
from modules.aftersales.services.routing.conditions import UNSET
from modules.aftersales.services.tickets import lifecycle as tickets
from modules.aftersales.services.tickets.messages import add_message

MAX_MACROS = 500
MAX_VARIANTS = 30


@dataclass(frozen=True)
class VariantInput:
    language: str
    body: str
    subject: str | None = None


@dataclass(frozen=True)
class MacroActions:
    status: str | None = None
    priority: str | None = None
    add_tags: Sequence[str] = ()


@dataclass
class MacroInput:
    """Fields to set; UNSET leaves a field as it is (on update). `variants` replaces them all."""

    name: Any = UNSET
    active: Any = UNSET
    actions: Any = UNSET  # MacroActions
    variants: Any = UNSET  # list[VariantInput]


@dataclass
class Rendered:
    language: str
    subject: str | None
    body: str
    macro: Macro = field(repr=False)


def _actions(given: MacroActions, errors: list[UserFacingError]) -> dict[str, Any]:
    out: dict[str, Any] = {"status": given.status, "priority": given.priority, "add_tags": []}
    if given.status is not None:
        tickets.choice(errors, given.status, TICKET_STATUSES, ["actions", "status"])
    if given.priority is not None:
        tickets.choice(errors, given.priority, PRIORITIES, ["actions", "priority"])
    tag_errors: list[UserFacingError] = []
    out["add_tags"] = tickets.tag_names(tag_errors, given.add_tags, "addTags")
    for e in tag_errors:
        e.field = ["actions", *(e.field or [])]
    errors += tag_errors
    return out


def _variants(given: Sequence[VariantInput], errors: list[UserFacingError]) -> list[dict[str, Any]]:
    if not given:
        errors.append(err("NO_VARIANT", N_("A macro needs at least one language variant."), ["variants"]))
    if len(given) > MAX_VARIANTS:
        errors.append(err("TOO_MANY", N_("At most {max} items."), ["variants"], max=MAX_VARIANTS))
    out: list[dict[str, Any]] = []
    for i, v in enumerate(given):
        path = ["variants", str(i)]
        language = validation.collect(errors, validation.language, v.language, field=[*path, "language"])
        if language is not None and any(o["language"] == language for o in out):
            errors.append(err("DUPLICATE_LANGUAGE", N_("Only one variant per language ({language})."),
                              [*path, "language"], language=language))
        subject = " ".join(v.subject.split()) if v.subject else None
        for name, source in (("subject", subject), ("body", v.body)):
            if source is None:
                continue
            if name == "body" and not source.strip():
                errors.append(err("EMPTY_BODY", N_("A reply cannot be empty."), [*path, "body"]))
                continue
            try:
                templates.check(source, [*path, name])
            except UserFacingError as exc:
                errors.append(exc)
        out.append({"language": language or v.language, "subject": subject, "body": v.body})
    return out


async def _name(tid: int, name: str, exclude: int | None, errors: list[UserFacingError]) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        errors.append(err("INVALID_NAME", N_("A macro name has 1 to 100 characters."), ["name"]))
        return name
    taken = scoped(Macro, tid).filter(name=name)
    if exclude is not None:
        taken = taken.exclude(id=exclude)
    if await taken.exists():
        errors.append(err("NAME_TAKEN", N_("A macro named {name} already exists."), ["name"], name=name))
    return name


async def _snapshot(row: Macro) -> dict[str, Any]:
    variants = await scoped(MacroVariant, row.tenant_id).filter(macro_id=row.id).order_by("language") \
        .values("language", "subject", "body")
    return {"name": row.name, "active": row.active, "actions": row.actions, "variants": variants}


async def get_macro(tenant_id: int, macro_id: int, path: str = "id") -> Macro:
    row = await scoped(Macro, tenant_id).filter(id=macro_id).first()
    if row is None:
        raise err("NOT_FOUND", N_("No such macro."), [path])
    return row


async def _save(actor: Principal, row: Macro | None, given: MacroInput) -> Macro:
    tid = actor.tenant_id
    errors: list[UserFacingError] = []
    values: dict[str, Any] = {}
    if given.name is not UNSET:
        values["name"] = await _name(tid, given.name, row.id if row else None, errors)
    if given.active is not UNSET:
        values["active"] = bool(given.active)
    if given.actions is not UNSET:
        values["actions"] = _actions(given.actions, errors)
    variants = _variants(given.variants, errors) if given.variants is not UNSET else None
    if row is None and await scoped(Macro, tid).count() >= MAX_MACROS:
        errors.append(err("TOO_MANY", N_("At most {max} items."), ["name"], max=MAX_MACROS))
    if errors:
        raise UserFacingErrors(errors)
    async with in_transaction():
        before = await _snapshot(row) if row else None
        if row is None:
            row = await Macro.create(tenant_id=tid, **values)
        else:
            row.update_from_dict(values)
            await row.save()
        if variants is not None:
            await scoped(MacroVariant, tid).filter(macro_id=row.id).delete()
            await MacroVariant.bulk_create([MacroVariant(tenant_id=tid, macro_id=row.id, **v) for v in variants])
        await audit.record(actor, tid, "macro.create" if before is None else "macro.update", "Macro", row.id,
                           before, await _snapshot(row))
    return row


async def create_macro(actor: Principal, given: MacroInput) -> Macro:
    return await _save(actor, None, given)


async def update_macro(actor: Principal, macro_id: int, given: MacroInput) -> Macro:
    return await _save(actor, await get_macro(actor.tenant_id, macro_id), given)


async def delete_macro(actor: Principal, macro_id: int) -> None:
    tid = actor.tenant_id
    async with in_transaction():
        row = await get_macro(tid, macro_id)
        before = await _snapshot(row)
        await row.delete()
        await audit.record(actor, tid, "macro.delete", "Macro", macro_id, before, None)


class Variant(Protocol):
    """A text in one language: a macro's variant, a notification template's."""

    @property
    def id(self) -> int: ...

    @property
    def language(self) -> str: ...


V = TypeVar("V", bound=Variant)


def choose_variant(variants: Sequence[V], wanted: Sequence[str | None]) -> V | None:
    """The first variant in the order of `wanted` languages (exact tag, then the same primary
    language: `de` for `de-AT`), then English, then the first one stored."""
    by_tag = {v.language.lower(): v for v in variants}
    chain = [w.replace("_", "-").lower() for w in (*wanted, "en") if w]
    for tag in chain:
        if tag in by_tag:
            return by_tag[tag]
        primary = tickets.primary(tag)
        same = [v for v in variants if tickets.primary(v.language) == primary]
        if same:
            return min(same, key=lambda v: v.id)
    return min(variants, key=lambda v: v.id) if variants else None


async def render(actor: Principal, macro_id: int, ticket_id: int) -> Rendered:
    """The macro's variant for this ticket's customer (their language, the tenant's, English, any),
    filled in for this ticket and agent."""
    macro = await get_macro(actor.tenant_id, macro_id, "macroId")
    ticket = await tickets.get_ticket(actor.tenant_id, ticket_id)
    return await _render(macro, ticket, actor)


async def _render(macro: Macro, ticket: Ticket, actor: Principal) -> Rendered:
    subject = await templates.subject_for(ticket, actor.user_id, actor.tenant_locale)
    wanted = (subject.customer.language if subject.customer else None, ticket.language or None,
              actor.tenant_locale)
    variants = await scoped(MacroVariant, ticket.tenant_id).filter(macro_id=macro.id)
    variant = choose_variant(variants, wanted)
    if variant is None:
        raise err("NO_VARIANT", N_("A macro needs at least one language variant."), ["macroId"])
    return Rendered(
        language=variant.language, macro=macro,
        subject=await templates.render(variant.subject, subject, ["subject"]) if variant.subject else None,
        body=await templates.render(variant.body, subject, ["body"]))


async def apply_macro(actor: Principal, macro_id: int, ticket_id: int) -> tuple[TicketMessage, Ticket]:
    """Reply with the rendered macro and apply its actions, all in one transaction."""
    tid = actor.tenant_id
    macro = await get_macro(tid, macro_id, "macroId")
    if not macro.active:
        raise err("MACRO_INACTIVE", N_("This macro is switched off."), ["macroId"])
    original = await tickets.get_ticket(tid, ticket_id)
    rendered = await _render(macro, original, actor)
    actions = macro.actions or {}
    now = datetime.now(UTC)
    async with in_transaction():
        # Written in the variant's language: translated only if that is not the ticket's.
        message, _ = await add_message(actor, ticket_id, "outbound", rendered.body, language=rendered.language,
                                       publish=False)
        ticket = await tickets.get_ticket(tid, ticket_id, lock=True)
        if actions.get("status"):
            await tickets.set_status(actor, ticket, actions["status"], now, ["macroId"])
        if actions.get("priority"):
            await tickets.set_priority(actor, ticket, actions["priority"], now)
        if actions.get("add_tags"):
            await tickets.retag(actor, ticket, actions["add_tags"])
        await tickets.event(actor, ticket, "macro_applied", {"macro": macro.id, "name": macro.name,
                                                             "language": rendered.language})
        await ticket.save()
    # One update, after the commit, from where the ticket was before the whole macro.
    await live.ticket_changed(ticket, "updated", live.TicketPlace.of(original))
    return message, ticket
