"""aftersales background work for returns (filled in by its slice)."""

from core.registry import WorkerContribution

worker = WorkerContribution()
