"""Machine translation of ticket messages through a provider (the translation slice fills this in).

With no provider configured every function returns None and nothing else changes.
"""

from __future__ import annotations


async def translate(tenant_id: int, text: str, source: str, target: str) -> str | None:
    """`text` from language `source` into `target`, or None (no provider, same language, failure)."""
    return None
