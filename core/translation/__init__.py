"""Machine translation behind one interface, so modules never depend on a vendor.

A provider translates plain text between two languages and says which languages it knows.
Which provider a process uses comes from the settings (`TRANSLATION_PROVIDER`); with none
configured `current()` is None and callers carry on without translations. A provider never
raises for a failed call: it logs (without the text) and returns None, so a translation service
being down can never stop a message from being stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.settings import Settings


@dataclass(frozen=True)
class Language:
    code: str  # the provider's code ("de", "zh-Hans")
    name: str
    targets: tuple[str, ...] = ()


class TranslationProvider(Protocol):
    name: str

    async def translate(self, text: str, source: str, target: str) -> str | None:
        """`text` from `source` ("auto" when unknown) into `target`; None when it failed."""

    async def languages(self) -> list[Language]:
        """The languages the provider knows (empty when it cannot say right now)."""

    async def aclose(self) -> None:
        """Release connections (process shutdown)."""


def build(settings: Settings) -> TranslationProvider | None:
    """The provider the settings name, or None."""
    if settings.translation_provider == "libretranslate":
        from core.translation.libretranslate import LibreTranslate

        return LibreTranslate(settings.libretranslate_url, settings.libretranslate_api_key,
                              settings.translation_timeout)
    return None


# The providers of the runtimes running in this process, newest last (see core.pubsub).
_providers: list[TranslationProvider | None] = []


def install(provider: TranslationProvider | None) -> TranslationProvider | None:
    _providers.append(provider)
    return provider


async def uninstall(provider: TranslationProvider | None) -> None:
    for i in range(len(_providers) - 1, -1, -1):
        if _providers[i] is provider:
            del _providers[i]
            break
    if provider is not None:
        await provider.aclose()


def current() -> TranslationProvider | None:
    return _providers[-1] if _providers else None
