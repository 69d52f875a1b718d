"""Per-request loaders for returns, refunds, shipments and repairs: a page costs a fixed number of
queries whatever its size."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import rows_by_id, rows_grouped
from modules.aftersales import models
from modules.crm.models import Customer, Order


def return_lines(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.ReturnLine, "request_id", related=("order_line",))


def orders(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, Order)


def customers(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, Customer)


def return_requests(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, models.ReturnRequest)


def tickets(info: Info) -> DataLoader[int, Any]:
    return rows_by_id(info, models.Ticket)


def returns_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.ReturnRequest, "order_id", ("created_at", "id"))


def refunds_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.Refund, "order_id", ("created_at", "id"))


def refunds_of_return(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.Refund, "request_id", ("created_at", "id"))


def shipments(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.ReturnShipment, "request_id")


def shipment_events(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.ShipmentEvent, "shipment_id", ("at", "id"))


def exchange_lines(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.ExchangeLine, "request_id")


def repairs(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.Repair, "request_id")


def repair_events(info: Info) -> DataLoader[int, list[Any]]:
    return rows_grouped(info, models.RepairEvent, "repair_id", ("created_at", "id"))
