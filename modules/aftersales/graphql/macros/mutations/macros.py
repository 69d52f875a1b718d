"""createMacro, updateMacro, deleteMacro and applyMacro (reply with it and apply its actions)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import decode_id, to_global_id
from core.graphql.permissions import Requires
from modules.aftersales import models
from modules.aftersales.graphql.macros.types import MacroType
from modules.aftersales.graphql.routing.mutations.conditions import kept
from modules.aftersales.graphql.types import TicketMessageType, TicketType
from modules.aftersales.services.macros import macros
from modules.aftersales.services.macros.macros import MacroActions, MacroInput, VariantInput

WRITE = [Requires("aftersales.macro", "write")]
TEMPLATE_HELP = ("Text with placeholders such as {{ customer.first_name }}, {{ order.total }}; filters upper, "
                 "lower, title, capitalize, trim. Nothing else: statements are refused.")


@strawberry.input
class MacroVariantInput:
    language: str = strawberry.field(description="BCP 47, e.g. en, de, zh-Hans.")
    body: str = strawberry.field(description=TEMPLATE_HELP)
    subject: str | None = None


@strawberry.input
class MacroActionsInput:
    set_status: str | None = None
    set_priority: str | None = None
    add_tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CreateMacroInput:
    name: str
    variants: list[MacroVariantInput]
    actions: MacroActionsInput | None = None
    active: bool = True


@strawberry.input(description="Omitted fields are left as they are; variants, when given, replace them all.")
class UpdateMacroInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    actions: MacroActionsInput | None = strawberry.UNSET
    variants: list[MacroVariantInput] | None = strawberry.UNSET


@strawberry.input
class DeleteMacroInput:
    id: strawberry.ID


@strawberry.input
class ApplyMacroInput:
    macro_id: strawberry.ID
    ticket_id: strawberry.ID


@strawberry.type
class MacroPayload:
    macro: MacroType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteMacroPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplyMacroPayload:
    message: TicketMessageType | None = None
    ticket: TicketType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _actions(given: MacroActionsInput | None) -> MacroActions:
    if given is None:
        return MacroActions()
    return MacroActions(status=given.set_status, priority=given.set_priority, add_tags=given.add_tags)


def _variants(given: list[MacroVariantInput]) -> list[VariantInput]:
    return [VariantInput(language=v.language, body=v.body, subject=v.subject) for v in given]


def _payload(result: tuple[models.Macro | None, list[UserError]]) -> MacroPayload:
    row, errors = result
    return MacroPayload(macro=MacroType.from_row(row) if row else None, errors=errors)


@strawberry.type
class MacroMutations:
    @strawberry.mutation(permission_classes=WRITE, description="Templates are checked now: unknown placeholders "
                         "and anything but text and placeholders are refused.")
    async def create_macro(self, info: Info, input: CreateMacroInput) -> MacroPayload:  # noqa: A002
        return _payload(await attempt(info, macros.create_macro(info.context.require_principal(), MacroInput(
            name=input.name, active=input.active, actions=_actions(input.actions),
            variants=_variants(input.variants)))))

    @strawberry.mutation(permission_classes=WRITE)
    async def update_macro(self, info: Info, input: UpdateMacroInput) -> MacroPayload:  # noqa: A002
        async def run() -> models.Macro:
            actions, variants = kept(input.actions, nullable=True), kept(input.variants)
            return await macros.update_macro(
                info.context.require_principal(), decode_id(input.id, MacroType, "id"), MacroInput(
                    name=kept(input.name), active=kept(input.active),
                    actions=actions if actions is macros.UNSET else _actions(actions),
                    variants=variants if variants is macros.UNSET else _variants(variants)))
        return _payload(await attempt(info, run()))

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_macro(self, info: Info, input: DeleteMacroInput) -> DeleteMacroPayload:  # noqa: A002
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, MacroType, "id")
            await macros.delete_macro(info.context.require_principal(), pk)
            return to_global_id(MacroType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteMacroPayload(deleted_id=deleted, errors=errors)

    @strawberry.mutation(permission_classes=[Requires("aftersales.ticket", "write")],
                         description="Reply to the ticket with the macro (its customer's language) and apply "
                         "its actions, in one step.")
    async def apply_macro(self, info: Info, input: ApplyMacroInput) -> ApplyMacroPayload:  # noqa: A002
        async def run() -> ApplyMacroPayload:
            message, ticket = await macros.apply_macro(
                info.context.require_principal(), decode_id(input.macro_id, MacroType, "macroId"),
                decode_id(input.ticket_id, TicketType, "ticketId"))
            return ApplyMacroPayload(message=TicketMessageType.from_row(message), ticket=TicketType.from_row(ticket))
        payload, errors = await attempt(info, run())
        return payload or ApplyMacroPayload(errors=errors)
