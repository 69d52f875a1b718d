"""The automation module's worker part: one outbox handler on the event of every declared trigger."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from core import automation
from core.events import Handler
from core.registry import WorkerContribution
from modules.automation.services.firing import fire


class TriggerTopics(Mapping[str, Sequence[Handler]]):
    """`fire` for each trigger's event, read when the worker is composed: the triggers are those the
    installed modules declared (core.automation, installed by Runtime.start before the worker)."""

    def __getitem__(self, topic: str) -> Sequence[Handler]:
        if topic not in automation.catalog().triggers:
            raise KeyError(topic)
        return [fire]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(automation.catalog().triggers))

    def __len__(self) -> int:
        return len(automation.catalog().triggers)


worker = WorkerContribution(event_handlers=TriggerTopics())
