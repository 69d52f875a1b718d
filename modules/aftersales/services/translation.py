"""Machine translation of ticket messages through this process's provider (core.translation).

Inbound messages are translated into the agent's language and outbound replies into the
customer's; the original text is always kept. With no provider configured, for an empty text,
for the same language on both sides, or when the provider fails, `translate` returns None and
the message is stored without a translation.
"""

from __future__ import annotations

import logging

from core import translation

log = logging.getLogger(__name__)

MAX_CHARS = 20_000  # a longer message is stored untranslated rather than sent as a huge request


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def same_language(source: str, target: str) -> bool:
    """"de" and "de-AT" are the same language for translating a message; "zh-Hans" and "zh-Hant"
    are not, so only the primary subtags are compared when a side has no script or region."""
    a, b = source.strip().replace("_", "-").lower(), target.strip().replace("_", "-").lower()
    return a == b or (_primary(a) == _primary(b) and ("-" not in a or "-" not in b))


async def translate(tenant_id: int, text: str, source: str, target: str) -> str | None:
    """`text` from language `source` into `target`, or None (no provider, same language, failure).

    `source` may be "" when the language is unknown: the provider then detects it.
    """
    provider = translation.current()
    if provider is None or not text.strip() or not target.strip():
        return None
    if source.strip() and same_language(source, target):
        return None
    if len(text) > MAX_CHARS:
        log.info("tenant %d: a message of %d characters is not sent for translation", tenant_id, len(text))
        return None
    result = await provider.translate(text, source.strip() or "auto", target.strip())
    if result is None:
        log.info("tenant %d: no translation %s -> %s (%d characters)", tenant_id, source or "auto", target,
                 len(text))
    return result
