"""aftersales background work for sla (filled in by its slice)."""

from core.registry import WorkerContribution

worker = WorkerContribution()
