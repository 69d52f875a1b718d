"""Which language a customer wrote in, offline (lingua), for routing by language skill and for
machine translation of replies.

The detector knows only the ~20 languages common in cross-border e-commerce: fewer candidates
mean fewer wrong guesses on short texts and a smaller model in memory. It is built once, on first
use (loading the models takes a while and most processes never need them), and runs in a thread
so it never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

LANGUAGES = (
    Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH, Language.GERMAN,
    Language.ITALIAN, Language.DUTCH, Language.POLISH, Language.SWEDISH, Language.DANISH,
    Language.CZECH, Language.TURKISH, Language.RUSSIAN, Language.UKRAINIAN, Language.ARABIC,
    Language.HEBREW, Language.CHINESE, Language.JAPANESE, Language.KOREAN, Language.THAI,
    Language.VIETNAMESE, Language.INDONESIAN,
)
# Below this confidence the text is too short or too mixed to tell: "" rather than a guess.
MIN_CONFIDENCE = 0.5
MAX_CHARS = 2_000  # the start of a long e-mail tells the language as well as all of it

_detector: LanguageDetector | None = None
_lock = threading.Lock()


def _get_detector() -> LanguageDetector:
    global _detector
    with _lock:
        if _detector is None:
            _detector = LanguageDetectorBuilder.from_languages(*LANGUAGES).build()
        return _detector


def detect_sync(text: str) -> str:
    """ISO 639-1 code of `text`'s language, or "" when unsure."""
    text = text.strip()[:MAX_CHARS]
    if not text:
        return ""
    values = _get_detector().compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return ""
    return values[0].language.iso_code_639_1.name.lower()


async def detect(text: str) -> str:
    """`detect_sync` in a worker thread."""
    return await asyncio.to_thread(detect_sync, text)
