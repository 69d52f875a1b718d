"""Translations with babel: one catalog per module (its gettext domain), chosen per request.

Catalogs are `locale/<lang>/LC_MESSAGES/<domain>.po` beside each module. Compiled `.mo` files are
used when present (`make i18n`); otherwise the `.po` is compiled in memory, so a missing build
step can never silently fall back to English.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED = ("en", "zh_Hans", "es", "de", "fr", "ja")
DEFAULT = "en"

_domains: dict[str, Path] = {}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, in the caller's language."""
    return message


def register_domain(domain: str, locale_dir: Path) -> None:
    _domains[domain] = locale_dir
    _translations.cache_clear()


def _supported_for(locale: Locale) -> str | None:
    for code in SUPPORTED:
        candidate = Locale.parse(code)
        if candidate.language != locale.language:
            continue
        if candidate.script is None or candidate.script == (locale.script or "Hans"):
            return code
    return None


def _preferred(accept_language: str) -> list[str]:
    """Tags of an Accept-Language header, most wanted first (q-values honoured)."""
    tags: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*":
            tags.append((-q, index, tag.strip()))
    return [tag for _, _, tag in sorted(tags)]


def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag, sep="-") if "-" in tag else Locale.parse(tag)
    except (ValueError, UnknownLocaleError):
        return None


def format_locale(accept_language: str | None) -> str:
    """The caller's locale for numbers, dates and money: any locale babel knows (de_DE formats
    "129,90 €" even though the interface speaks English to a German caller)."""
    for tag in _preferred(accept_language or ""):
        locale = _parse(tag)
        if locale is not None:
            return str(locale)
    return DEFAULT


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header (q-values honoured)."""
    for tag in _preferred(accept_language or ""):
        locale = _parse(tag)
        found = _supported_for(locale) if locale is not None else None
        if found:
            return found
    return DEFAULT


@lru_cache(maxsize=256)
def _translations(domain: str, locale: str) -> NullTranslations:
    base = _domains.get(domain)
    if base is None or locale == DEFAULT:
        return NullTranslations()
    folder = base / locale / "LC_MESSAGES"
    mo, po = folder / f"{domain}.mo", folder / f"{domain}.po"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return Translations(fp, domain=domain)
    if po.exists():
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=locale, domain=domain)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain=domain)
    return NullTranslations()


def translate(domain: str, message: str, locale: str, **params: object) -> str:
    text = _translations(domain, locale).gettext(message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return message.format(**params)
    return text
