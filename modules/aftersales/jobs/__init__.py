"""The aftersales module's background work, one file per area, composed into one contribution."""

from core.registry import WorkerContribution
from modules.aftersales.jobs import privacy, returns, sla

PARTS: tuple[WorkerContribution, ...] = (sla.worker, returns.worker, privacy.worker)

worker = WorkerContribution(
    functions=[f for p in PARTS for f in p.functions],
    cron_jobs=[c for p in PARTS for c in p.cron_jobs],
    event_handlers={name: [h for p in PARTS for h in p.event_handlers.get(name, ())]
                    for name in {n for p in PARTS for n in p.event_handlers}},
)
