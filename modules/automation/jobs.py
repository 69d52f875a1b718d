"""The automation module's worker part: one outbox handler on the event of every declared trigger,
and the time scan on the cron queue every minute."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from arq import cron

from core import automation
from core.events import Handler
from core.registry import WorkerContribution
from modules.automation.services import time_scan
from modules.automation.services.firing import fire
from modules.automation.services.timing import SCHEDULE

TIME_SCAN = "automation.time_scan"


class TriggerTopics(Mapping[str, Sequence[Handler]]):
    """`fire` for each trigger's event, read when the worker is composed: the triggers are those the
    installed modules declared (core.automation, installed by Runtime.start before the worker). The
    schedule trigger has no event."""

    def _topics(self) -> list[str]:
        return sorted(t for t in automation.catalog().triggers if t != SCHEDULE)

    def __getitem__(self, topic: str) -> Sequence[Handler]:
        if topic not in self._topics():
            raise KeyError(topic)
        return [fire]

    def __iter__(self) -> Iterator[str]:
        return iter(self._topics())

    def __len__(self) -> int:
        return len(self._topics())


async def scan_due(ctx: dict[str, Any]) -> dict[str, int]:
    """Every minute: offset and schedule firings whose time has come (services/time_scan.py),
    found in the database, so a restart or a flushed Redis loses none."""
    return asdict(await time_scan.scan())


worker = WorkerContribution(
    event_handlers=TriggerTopics(),
    cron_jobs=[cron(scan_due, name=TIME_SCAN, second={41}, run_at_startup=True, unique=True, timeout=300)],
)
