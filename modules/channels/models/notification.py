"""Notifications to customers outside any ticket: the templates a rule sends from, and each
message sent, whose Delivery goes out through the same path and states as a reply's."""

from typing import Any

from tortoise import fields

from core.models import TenantModel

CATEGORIES = ("transactional",)  # marketing (consent, unsubscribe, quiet hours, caps) comes later


class NotificationTemplate(TenantModel):
    """`variants` is one text per language, [{"language", "subject", "body"}], each checked on save
    with aftersales' reply-template sandbox (only known placeholders). `category` says which rules
    of sending apply: transactional messages (an order shipped, a refund) go to every customer."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)
    category = fields.CharField(max_length=32, default="transactional")
    variants: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "channels_notification_template"
        unique_together = (("tenant", "name"),)


class Notification(TenantModel):
    """One message rendered for one customer, in the language its variant was chosen in, as sent.
    Kept like a ticket's outbound message (the erasure of the customer empties it)."""

    id = fields.BigIntField(primary_key=True)
    customer_id = fields.BigIntField()
    template: fields.ForeignKeyNullableRelation[NotificationTemplate] = fields.ForeignKeyField(
        "channels.NotificationTemplate", related_name="notifications", null=True, on_delete=fields.SET_NULL)
    template_id: int | None
    category = fields.CharField(max_length=32)
    language = fields.CharField(max_length=35)
    subject = fields.CharField(max_length=255, default="")
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "channels_notification"
        indexes = (("tenant_id", "customer_id", "id"), ("template_id",))
