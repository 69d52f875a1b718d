"""Register the connector with the sync engine in every process (API and worker)."""

from __future__ import annotations

from typing import Any

from modules.shopify.connector import CONNECTOR
from modules.sync.services.connectors import register


async def start_up(rt: Any, process: str) -> None:
    register(CONNECTOR)
