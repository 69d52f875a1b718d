"""When a new lot becomes usable and when it expires, by the program's pending days and expiry policy."""

from __future__ import annotations

from datetime import datetime, timedelta

from modules.loyalty.models import Program


def pending_until(program: Program, now: datetime) -> datetime | None:
    return now + timedelta(days=program.pending_days) if program.pending_days else None


def expires_at(program: Program, now: datetime) -> datetime | None:
    return now + timedelta(days=program.expiry_days) if program.expiry_policy == "per_lot" else None
