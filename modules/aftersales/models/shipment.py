"""Return shipments: the parcel a customer sends back, and its tracking events.

`last_movement_at` (the newest event, or creation) is what the stale-shipment scan ranges over;
`stale_alerted_at` records that the alert was raised, so it is raised once per stall.
"""

from datetime import datetime

from tortoise import fields

from core.models import TenantModel

SHIPMENT_STATUSES = ("label_created", "in_transit", "out_for_delivery", "delivered", "exception", "returned")
FINAL_SHIPMENT_STATUSES = ("delivered", "returned")


class ReturnShipment(TenantModel):
    id = fields.BigIntField(primary_key=True)
    request: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "aftersales.ReturnRequest", related_name="shipments", on_delete=fields.CASCADE)
    carrier = fields.CharField(max_length=64)
    tracking_number = fields.CharField(max_length=64)
    status = fields.CharField(max_length=20, default="label_created")
    last_movement_at: datetime = fields.DatetimeField()
    stale_alerted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    request_id: int

    class Meta:
        table = "aftersales_return_shipment"
        unique_together = (("tenant", "carrier", "tracking_number"),)
        indexes = (("request_id",), ("status", "last_movement_at"))


class ShipmentEvent(TenantModel):
    id = fields.BigIntField(primary_key=True)
    shipment: fields.ForeignKeyRelation[ReturnShipment] = fields.ForeignKeyField(
        "aftersales.ReturnShipment", related_name="events", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=20)
    location = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField()
    description = fields.CharField(max_length=500, default="")
    shipment_id: int

    class Meta:
        table = "aftersales_shipment_event"
        indexes = (("shipment_id", "at"),)
