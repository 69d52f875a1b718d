"""Notification templates and the notifications sent to a customer: types, queries, mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission
from strawberry.types import Info

from core.errors import UserError
from core.graphql.mutations import attempt
from core.graphql.node import ScopedNode, decode_id, decode_query_id, to_global_id
from core.graphql.pagination import Connection, Ordering, page_size, paginate
from core.graphql.permissions import Requires
from core.tenancy import scoped
from modules.channels import models
from modules.channels.graphql.types import DeliveryType
from modules.channels.services.notifications import templates
from modules.crm.graphql.types import CustomerType

READ: list[type[BasePermission]] = [Requires("channels.template", "read")]
WRITE: list[type[BasePermission]] = [Requires("channels.template", "write")]
PLACEHOLDERS = ("Text with placeholders such as {{ customer.first_name }}, {{ order.number }}, {{ order.total }}, "
                "{{ order.date }}, {{ refund.amount }}; filters upper, lower, title, capitalize, trim.")


@strawberry.type(name="NotificationVariant")
class VariantType:
    language: str
    subject: str
    body: str


@strawberry.type(name="NotificationTemplate", description="What channels.notify_customer sends: one text per "
                                                           "language, the customer's chosen, else the account's, "
                                                           "else English.")
class NotificationTemplateType(ScopedNode):
    id: relay.NodeID[int]
    name: str
    category: str = strawberry.field(description="transactional: sent to every customer it concerns.")
    variants: list[VariantType]
    created_at: datetime
    updated_at: datetime
    read_permission = ("channels.template", "read")
    model = models.NotificationTemplate

    @classmethod
    def from_row(cls, row: models.NotificationTemplate) -> Self:
        return cls(id=row.id, name=row.name, category=row.category, created_at=row.created_at,
                   updated_at=row.updated_at,
                   variants=[VariantType(language=v["language"], subject=v.get("subject") or "", body=v["body"])
                             for v in row.variants])


@strawberry.type(name="CustomerNotification", description="A notification as it was sent to a customer.")
class NotificationType:
    id: strawberry.ID
    language: str
    subject: str
    body: str
    category: str
    created_at: datetime
    delivery: DeliveryType | None

    @classmethod
    def of(cls, row: models.Notification, delivery: models.Delivery | None) -> NotificationType:
        return cls(id=strawberry.ID(str(row.id)), language=row.language, subject=row.subject, body=row.body,
                   category=row.category, created_at=row.created_at,
                   delivery=DeliveryType.from_row(delivery) if delivery else None)


@strawberry.input(name="NotificationVariantInput")
class VariantInput:
    language: str
    body: str = strawberry.field(description=PLACEHOLDERS)
    subject: str = strawberry.field(default="", description=PLACEHOLDERS)


@strawberry.input
class CreateNotificationTemplateInput:
    name: str
    variants: list[VariantInput]
    category: str = "transactional"


@strawberry.input(description="Omit a field to keep it; variants replace them all.")
class UpdateNotificationTemplateInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    variants: list[VariantInput] | None = strawberry.UNSET


@strawberry.input
class DeleteNotificationTemplateInput:
    id: strawberry.ID


@strawberry.type
class NotificationTemplatePayload:
    template: NotificationTemplateType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteNotificationTemplatePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _change(source: CreateNotificationTemplateInput | UpdateNotificationTemplateInput) -> templates.TemplateChange:
    def kept(value: object) -> object:
        return templates.UNSET if value is strawberry.UNSET else value

    variants = kept(source.variants)
    if isinstance(variants, list):
        variants = [templates.VariantInput(v.language, v.body, v.subject) for v in variants]
    return templates.TemplateChange(name=kept(source.name), category=kept(source.category), variants=variants)


def _size(info: Info, first: int | None) -> int:
    s = info.context.rt.settings
    return page_size(first, s.default_page_size, s.max_page_size, info.context.locale)


@strawberry.type
class NotificationQuery:
    @strawberry.field(permission_classes=READ, description="The account's notification templates, by name.")
    async def notification_templates(self, info: Info, first: int | None = None, after: str | None = None
                                     ) -> Connection[NotificationTemplateType]:
        ctx = info.context
        return await paginate(scoped(models.NotificationTemplate, ctx.tenant_id), first=_size(info, first),
                              after=after, ordering=Ordering("name"), to_node=NotificationTemplateType.from_row,
                              locale=ctx.locale)

    @strawberry.field(permission_classes=READ, description="The notifications sent to a customer, newest first.")
    async def customer_notifications(self, info: Info, customer_id: strawberry.ID, first: int | None = None
                                     ) -> list[NotificationType]:
        ctx = info.context
        pk = decode_query_id(info, customer_id, CustomerType, "customerId")
        rows = await (scoped(models.Notification, ctx.tenant_id).filter(customer_id=pk).order_by("-id")
                      .limit(_size(info, first)))
        deliveries = {d.notification_id: d for d in await scoped(models.Delivery, ctx.tenant_id)
                      .filter(notification_id__in=[r.id for r in rows])}
        return [NotificationType.of(r, deliveries.get(r.id)) for r in rows]


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(permission_classes=WRITE, description="Every variant is checked: an unknown placeholder "
                                                               "is refused and nothing is saved.")
    async def create_notification_template(self, info: Info, input: CreateNotificationTemplateInput  # noqa: A002
                                           ) -> NotificationTemplatePayload:
        async def run() -> NotificationTemplateType:
            row = await templates.save_template(info.context.require_principal(), None, _change(input))
            return NotificationTemplateType.from_row(row)
        template, errors = await attempt(info, run())
        return NotificationTemplatePayload(template=template, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def update_notification_template(self, info: Info, input: UpdateNotificationTemplateInput  # noqa: A002
                                           ) -> NotificationTemplatePayload:
        async def run() -> NotificationTemplateType:
            pk = decode_id(input.id, NotificationTemplateType, "id")
            row = await templates.save_template(info.context.require_principal(), pk, _change(input))
            return NotificationTemplateType.from_row(row)
        template, errors = await attempt(info, run())
        return NotificationTemplatePayload(template=template, errors=errors)

    @strawberry.mutation(permission_classes=WRITE)
    async def delete_notification_template(self, info: Info, input: DeleteNotificationTemplateInput  # noqa: A002
                                           ) -> DeleteNotificationTemplatePayload:
        async def run() -> strawberry.ID:
            pk = decode_id(input.id, NotificationTemplateType, "id")
            await templates.delete_template(info.context.require_principal(), pk)
            return to_global_id(NotificationTemplateType, pk)
        deleted, errors = await attempt(info, run())
        return DeleteNotificationTemplatePayload(deleted_id=deleted, errors=errors)
