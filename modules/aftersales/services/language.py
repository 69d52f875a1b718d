"""Which language a text is written in, offline (lingua): the customer's first message (routing by
language skill, machine translation) and an agent's reply (stored with the language it was
written in, translated only when that is not the ticket's).

The detector knows only the ~20 languages common in cross-border e-commerce: fewer candidates
mean fewer wrong guesses on short texts and a smaller model in memory. It runs in lingua's low
accuracy mode (trigram models only): measured with bench/language_detector.py (docs/benchmarks.md),
that takes about 0.5 s and 35 MB per process instead of 5 to 8 s and 400 to 540 MB, with the same
results on support messages.

Loading lingua's models holds the interpreter lock the whole time (lingua is Rust and does not
release it), so a thread alone does not keep the event loop running: the models are loaded two
languages at a time in a thread of their own (lingua shares loaded models between detectors), and
other threads run between two loads. The aftersales module starts that at the API's start-up
(`start_up`, the module's start-up hook), so no request waits for it; a detection that comes
first waits for the build without blocking the event loop, and the build never runs on the
event loop's thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

log = logging.getLogger(__name__)

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
CHUNK = 2  # languages whose models are loaded while holding the interpreter lock at once (~0.05 s)


def _builder(languages: tuple[Language, ...]) -> LanguageDetectorBuilder:
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().with_preloaded_language_models()


def build_detector() -> LanguageDetector:
    """Load the models a few languages at a time, then build the detector over them (a blocking
    call: `start` runs it in a thread of its own)."""
    groups = [LANGUAGES[i:i + CHUNK] for i in range(0, len(LANGUAGES), CHUNK)]
    if len(groups) > 1 and len(groups[-1]) < 2:  # lingua wants two languages at least
        groups[-2:] = [groups[-2] + groups[-1]]
    for group in groups:
        _builder(group).build()
        time.sleep(0.001)  # the event loop's thread takes the interpreter lock between two loads
    return _builder(LANGUAGES).build()


_build: Future[LanguageDetector] | None = None
_lock = threading.Lock()


def _run_build(future: Future[LanguageDetector]) -> None:
    global _build
    started = time.perf_counter()
    try:
        detector = build_detector()
    except Exception as exc:  # handed to every waiter; the next call tries again
        log.exception("the language detector could not be built")
        with _lock:
            if _build is future:
                _build = None
        future.set_exception(exc)
        return
    log.info("language detector ready in %.2f s", time.perf_counter() - started)
    future.set_result(detector)


def start() -> Future[LanguageDetector]:
    """Start building the detector in a thread of its own, once per process; the build's future."""
    global _build
    with _lock:
        if _build is None:
            _build = Future()
            _build.set_running_or_notify_cancel()  # a waiter that is cancelled cannot cancel the build
            threading.Thread(target=_run_build, args=(_build,), name="language-detector", daemon=True).start()
        return _build


def is_ready() -> bool:
    build = _build
    return build is not None and build.done() and build.exception() is None


async def ready() -> LanguageDetector:
    """The detector, once built (started if need be); waiting does not block the event loop."""
    return await asyncio.wrap_future(start())


async def start_up(rt: Any, process: str) -> None:
    """The aftersales module's start-up hook: API processes (and the embedded one) start building
    the detector; a worker process does not detect languages, so it never pays for the models."""
    if process == "api":
        start()


def _detect(detector: LanguageDetector, text: str) -> str:
    values = detector.compute_language_confidence_values(text)
    if not values or values[0].value < MIN_CONFIDENCE:
        return ""
    return values[0].language.iso_code_639_1.name.lower()


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def detect_sync(text: str) -> str:
    """ISO 639-1 code of `text`'s language, or "" when unsure. For threads and scripts: on an event
    loop's thread, await `detect` instead (this one may wait for the detector to be built)."""
    text = text.strip()[:MAX_CHARS]
    if not text:
        return ""
    if _on_event_loop():
        raise RuntimeError("language.detect_sync() on the event loop's thread: await language.detect()")
    return _detect(start().result(), text)


async def detect(text: str) -> str:
    """ISO 639-1 code of `text`'s language, or "" when unsure; waits for the detector if it is still
    being built, and detects in a worker thread."""
    text = text.strip()[:MAX_CHARS]
    if not text:
        return ""
    detector = await ready()
    return await asyncio.to_thread(_detect, detector, text)
