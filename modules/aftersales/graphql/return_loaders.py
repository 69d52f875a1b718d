"""Per-request loaders for returns, refunds, shipments and repairs: a page costs a fixed number of
queries whatever its size."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.models.tenant import TenantModel
from core.tenancy import scoped
from modules.aftersales import models
from modules.crm.models import Customer, Order


def grouped(info: Info, model: type[TenantModel], column: str, order: tuple[str, ...] = ("id",),
            related: tuple[str, ...] = ()) -> DataLoader[int, list[Any]]:
    """Rows of `model` whose `column` is one of the keys, grouped by it, in `order`."""
    tenant_id = info.context.tenant_id

    async def load(keys: list[int]) -> list[list[Any]]:
        query = scoped(model, tenant_id).filter(**{f"{column}__in": keys}).order_by(*order)
        found: dict[int, list[Any]] = defaultdict(list)
        for row in await (query.select_related(*related) if related else query):
            found[getattr(row, column)].append(row)
        return [found[k] for k in keys]

    key = f"aftersales.{model.__name__}.{column}"
    return info.context.loader(key, lambda: DataLoader(load_fn=load))


def by_id(info: Info, model: type[TenantModel]) -> DataLoader[int, Any]:
    tenant_id = info.context.tenant_id

    async def load(keys: list[int]) -> list[Any]:
        rows = {r.pk: r for r in await scoped(model, tenant_id).filter(id__in=keys)}
        return [rows.get(k) for k in keys]

    return info.context.loader(f"aftersales.{model.__name__}.id", lambda: DataLoader(load_fn=load))


def return_lines(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.ReturnLine, "request_id", related=("order_line",))


def orders(info: Info) -> DataLoader[int, Any]:
    return by_id(info, Order)


def customers(info: Info) -> DataLoader[int, Any]:
    return by_id(info, Customer)


def tickets(info: Info) -> DataLoader[int, Any]:
    return by_id(info, models.Ticket)


def returns_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.ReturnRequest, "order_id", ("created_at", "id"))


def refunds_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.Refund, "order_id", ("created_at", "id"))


def refunds_of_return(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.Refund, "request_id", ("created_at", "id"))


def shipments(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.ReturnShipment, "request_id")


def shipment_events(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.ShipmentEvent, "shipment_id", ("at", "id"))


def exchange_lines(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.ExchangeLine, "request_id")


def repairs(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.Repair, "request_id")


def repair_events(info: Info) -> DataLoader[int, list[Any]]:
    return grouped(info, models.RepairEvent, "repair_id", ("created_at", "id"))
