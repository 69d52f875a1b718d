"""One SUM over a queryset, 0 when no row matches."""

from __future__ import annotations

from typing import Any

from tortoise.functions import Sum
from tortoise.queryset import QuerySet


async def total(query: QuerySet[Any], column: str) -> int:
    rows = await query.annotate(total=Sum(column)).values("total")
    return int(rows[0]["total"] or 0) if rows else 0
