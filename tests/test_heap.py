"""The API process freezes its start-up heap and raises the young generation's threshold
(core/heap.py: full collections no longer walk the schema and the modules on every request)."""

from __future__ import annotations

import gc
from typing import Any

from core.heap import YOUNG_THRESHOLD


async def test_the_started_app_has_frozen_its_start_up_heap(app: Any) -> None:
    assert gc.get_freeze_count() > 10_000  # the schema alone is tens of thousands of objects
    assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
    assert gc.isenabled()
