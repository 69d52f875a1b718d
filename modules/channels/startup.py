"""The channels module's start-up hook: it answers aftersales' question whether a reply may go
out (core.channels.check_reply) in every process that serves the API or runs jobs."""

from __future__ import annotations

from typing import Any

from core import channels
from modules.channels.services.reply_gate import check_reply


async def start_up(rt: Any, process: str) -> None:
    channels.install_reply_gate(check_reply)
