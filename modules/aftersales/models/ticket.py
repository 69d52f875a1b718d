"""Tickets: one tracked case per customer request, with its messages, events and tags.

SLA deadlines live on the ticket so that the breach scan is one indexed range query over
`next_sla_due` (the earliest deadline still running; NULL when no clock runs).
"""

from typing import Any

from tortoise import fields

from core.models import TenantModel

TICKET_TYPES = ("inquiry", "complaint", "return", "exchange", "refund", "repair", "shipping")
TICKET_CHANNELS = ("email", "chat", "platform", "whatsapp", "phone", "web_form")
TICKET_STATUSES = ("new", "open", "pending_customer", "on_hold", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
MESSAGE_KINDS = ("inbound", "outbound", "note")


class Ticket(TenantModel):
    id = fields.BigIntField(primary_key=True)
    number = fields.IntField()  # per tenant, 1, 2, 3... (what agents and customers quote)
    type = fields.CharField(max_length=16, default="inquiry")
    channel = fields.CharField(max_length=16, default="email")
    subject = fields.CharField(max_length=255)
    language = fields.CharField(max_length=16, default="")  # BCP 47 primary tag, detected or given
    status = fields.CharField(max_length=20, default="new")
    priority = fields.CharField(max_length=8, default="normal")
    priority_overridden = fields.BooleanField(default=False)  # an agent's choice: rules leave it alone
    assignee: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="assigned_tickets", null=True, on_delete=fields.SET_NULL)
    team: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "team.Team", related_name="tickets", null=True, on_delete=fields.SET_NULL)
    customer: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "crm.Customer", related_name="tickets", null=True, on_delete=fields.SET_NULL)
    order: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "crm.Order", related_name="tickets", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    last_message_at = fields.DatetimeField(null=True)
    first_response_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    # SLA clocks (computed by services.sla.clocks from the matching policy and the team's business hours)
    sla_policy_id = fields.BigIntField(null=True)
    first_response_due = fields.DatetimeField(null=True)
    next_response_due = fields.DatetimeField(null=True)
    resolution_due = fields.DatetimeField(null=True)
    next_sla_due = fields.DatetimeField(null=True)
    sla_paused_at = fields.DatetimeField(null=True)  # set while pending the customer
    sla_breached = fields.BooleanField(default=False)
    escalation_level = fields.IntField(default=0)
    assignee_id: int | None
    team_id: int | None
    customer_id: int | None
    order_id: int | None

    class Meta:
        table = "aftersales_ticket"
        unique_together = (("tenant", "number"),)
        indexes = (
            ("tenant_id", "status", "updated_at"),  # inbox pages
            ("tenant_id", "created_at"),  # the default inbox order, the created-from/to filter
            ("tenant_id", "customer_id", "created_at"),  # a customer's tickets, timeline
            ("tenant_id", "assignee_id", "status"),  # my tickets, least-loaded routing
            ("next_sla_due",),  # the breach scan, across tenants
            ("order_id",), ("team_id",),  # foreign keys (tests/test_indexes.py)
        )


class TicketTag(TenantModel):
    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="tags", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=50)
    ticket_id: int

    class Meta:
        table = "aftersales_ticket_tag"
        unique_together = (("ticket", "name"),)
        indexes = (("tenant_id", "name"),)


class TicketOrderLine(TenantModel):
    """An order line the ticket is about (a broken item among three)."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="order_line_links", on_delete=fields.CASCADE)
    order_line: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "crm.OrderLine", related_name="ticket_links", on_delete=fields.CASCADE)
    ticket_id: int
    order_line_id: int

    class Meta:
        table = "aftersales_ticket_order_line"
        unique_together = (("ticket", "order_line"),)
        indexes = (("order_line_id",),)  # foreign keys (tests/test_indexes.py)


class TicketMessage(TenantModel):
    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="messages", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=8)  # inbound | outbound | note
    author: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="ticket_messages", null=True, on_delete=fields.SET_NULL)
    body = fields.TextField()
    language = fields.CharField(max_length=16, default="")
    # Machine translation, when a provider is configured: the original stays in `body`.
    translated_body = fields.TextField(null=True)
    translated_language = fields.CharField(max_length=16, null=True)
    # [{"name", "contentType", "size", "url"}]: metadata only, files live in the mail/storage system.
    attachments: Any = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    ticket_id: int
    author_id: int | None

    class Meta:
        table = "aftersales_ticket_message"
        indexes = (("ticket_id", "created_at"), ("author_id",))


class TicketEvent(TenantModel):
    """Who changed what on a ticket, and when: its own timeline (status, assignee, priority...)."""

    id = fields.BigIntField(primary_key=True)
    ticket: fields.ForeignKeyRelation[Ticket] = fields.ForeignKeyField(
        "aftersales.Ticket", related_name="events", on_delete=fields.CASCADE)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "core.User", related_name="ticket_events", null=True, on_delete=fields.SET_NULL)
    kind = fields.CharField(max_length=40)  # created, status_changed, assigned, priority_changed, ...
    data: Any = fields.JSONField(default=dict)  # {"from": ..., "to": ...} and the like
    created_at = fields.DatetimeField(auto_now_add=True)
    ticket_id: int
    actor_id: int | None

    class Meta:
        table = "aftersales_ticket_event"
        indexes = (("ticket_id", "created_at"), ("actor_id",))
