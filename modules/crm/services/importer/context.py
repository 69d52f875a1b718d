"""What every batch of an import shares: the tenant, the channel, the rules and the counts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from core.errors import UserFacingError
from modules.crm.models import CustomField
from modules.crm.services.importer.columns import Channels
from modules.crm.services.importer.writer import Writer

CHANNEL = ("id", "tenant_id", "platform", "name", "credentials", "order_number_format", "created_at")


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
    def total(self) -> int:
        """Customers or orders counted: one per row, but an order of several line rows counts once."""
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
    channels: Channels  # the tenant's, and the file's (--channel NAME; its id None while it does not exist)
    on_conflict: str  # "skip" | "update"
    dry_run: bool
    fail: Callable[[Row, list[UserFacingError]], None]
    custom_defs: Mapping[str, CustomField] = field(default_factory=dict)  # the tenant's custom fields
    lines: bool = False  # an orders file with one row per order line
    channel_created: bool = False  # the file's channel was (dry run: would be) created

    async def file_channel(self, w: Writer) -> int | None:
        """The file's channel for a record about to be written that belongs to it, created (platform
        `manual`) in the batch's transaction if the tenant has none by that name: a file whose every row
        fails, or whose rows need no channel, creates none. None in a dry run when it does not exist."""
        name = self.channels.file_name
        if self.channels.file_id is not None or name is None:
            return self.channels.file_id
        self.channel_created = True
        if self.dry_run:
            return None
        [new_id] = await w.next_ids("crm_channel", 1)
        await w.insert("crm_channel", CHANNEL, [(new_id, self.tenant_id, "manual", name, None, "", datetime.now(UTC))],
                       conflict=("tenant_id", "name"))
        [(found,)] = await w.fetch("SELECT id FROM crm_channel WHERE tenant_id = ? AND name = ?", self.tenant_id,
                                   name)
        self.channels.file_id = int(found)
        return self.channels.file_id

    async def row_channel(self, w: Writer, values: dict[str, Any]) -> int | None:
        """The channel a new record of this row belongs to (None: none, or a dry run's new --channel)."""
        if values["channel_id"] is not None or not values["has_channel"]:
            return values["channel_id"]
        return await self.file_channel(w)
