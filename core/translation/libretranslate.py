"""The LibreTranslate provider (https://libretranslate.com, or a self-hosted server) over HTTP.

API: `POST {url}/translate` with JSON `{q, source, target, format, api_key}` answers
`{"translatedText": ...}`; `GET {url}/languages` answers `[{"code", "name", "targets"}]`.
Failures (connection, timeout, HTTP error, a body that is not the expected JSON) are logged with
the status and languages only, never the text or the API key, and give None.
"""

from __future__ import annotations

import logging
import time

import httpx

from core.translation import Language

log = logging.getLogger(__name__)

LANGUAGES_TTL = 3600.0  # the server's language list changes only when its operator adds models
LANGUAGES_RETRY = 60.0  # after a failed look-up, translate without it for a minute


def _normalize(code: str) -> str:
    """Babel's "zh_Hans" and BCP 47's "zh-hans" both as "zh-Hans"-like tags."""
    return code.strip().replace("_", "-")


class LibreTranslate:
    name = "libretranslate"

    def __init__(self, url: str, api_key: str = "", timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.url = url.rstrip("/")
        self._api_key = api_key
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport,
                                         headers={"Accept": "application/json"})
        self._languages: list[Language] = []
        self._languages_until = 0.0

    def __repr__(self) -> str:  # never the key
        return f"LibreTranslate({self.url!r})"

    async def languages(self) -> list[Language]:
        if time.monotonic() < self._languages_until:
            return self._languages
        found: list[Language] = []
        try:
            response = await self._client.get(f"{self.url}/languages")
            response.raise_for_status()
            data = response.json()
            for item in data if isinstance(data, list) else []:
                if isinstance(item, dict) and isinstance(item.get("code"), str):
                    targets = item.get("targets")
                    found.append(Language(item["code"], str(item.get("name", item["code"])),
                                          tuple(t for t in targets if isinstance(t, str))
                                          if isinstance(targets, list) else ()))
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("LibreTranslate languages look-up failed: %s", type(exc).__name__)
        self._languages = found
        self._languages_until = time.monotonic() + (LANGUAGES_TTL if found else LANGUAGES_RETRY)
        return found

    def _resolve(self, code: str, known: list[Language]) -> str | None:
        """The server's code for a language tag: exact, then by primary subtag ("zh" ~ "zh-Hans");
        the tag itself when the server's list is unknown; None when the server lacks it."""
        tag = _normalize(code)
        if not known or tag == "auto":
            return tag
        by_lower = {lang.code.lower(): lang.code for lang in known}
        if tag.lower() in by_lower:
            return by_lower[tag.lower()]
        primary = tag.split("-")[0].lower()
        for lang in known:
            if lang.code.split("-")[0].lower() == primary:
                return lang.code
        return None

    async def translate(self, text: str, source: str, target: str) -> str | None:
        known = await self.languages()
        src, dst = self._resolve(source or "auto", known), self._resolve(target, known)
        if src is None or dst is None:
            log.info("LibreTranslate does not offer %s -> %s", source, target)
            return None
        body: dict[str, str] = {"q": text, "source": src, "target": dst, "format": "text"}
        if self._api_key:
            body["api_key"] = self._api_key
        try:
            response = await self._client.post(f"{self.url}/translate", json=body)
        except httpx.HTTPError as exc:
            log.warning("LibreTranslate %s -> %s failed: %s", src, dst, type(exc).__name__)
            return None
        if response.status_code != 200:
            log.warning("LibreTranslate %s -> %s answered HTTP %d", src, dst, response.status_code)
            return None
        try:
            data = response.json()
        except ValueError:
            log.warning("LibreTranslate %s -> %s answered a body that is not JSON", src, dst)
            return None
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(translated, str):
            log.warning("LibreTranslate %s -> %s answered without translatedText", src, dst)
            return None
        return translated

    async def aclose(self) -> None:
        await self._client.aclose()
