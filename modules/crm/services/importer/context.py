"""What every batch of an import shares: the tenant, the channel, the rules and the counts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from core.errors import UserFacingError
from modules.crm.models import CustomField


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped + self.failed

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Row:
    line: int
    cells: list[str]
    values: dict[str, Any] = field(default_factory=dict)
    members: list[Row] = field(default_factory=list)  # an order's rows (one per line), the first being this one


@dataclass
class Context:
    tenant_id: int
    channel_given: bool
    channel_id: int | None  # None when no channel is given, or (dry run) it does not exist yet
    on_conflict: str  # "skip" | "update"
    dry_run: bool
    fail: Callable[[Row, list[UserFacingError]], None]
    custom_defs: Mapping[str, CustomField] = field(default_factory=dict)  # the tenant's custom fields
    lines: bool = False  # an orders file with one row per order line
