"""What a file is, read from its bytes (never its name or the type the sender claimed), and
whether it may be kept.

Executables are refused, whatever they are called. Everything kept is served as a download
(`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP), and under its sniffed type only
when that type is inert (pictures, PDF, audio, video, office documents, plain text); anything
else is served as `application/octet-stream`, so no browser runs a stored HTML page or script.
"""

from __future__ import annotations

import filetype

OCTET = "application/octet-stream"
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-executable", "application/x-mach-binary",
    "application/x-elf", "application/vnd.microsoft.portable-executable", "application/x-sharedlib",
    "application/java-archive", "application/vnd.android.package-archive", "application/x-dosexec",
})
EXECUTABLE_NAMES = (".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".dll", ".jar", ".apk", ".js",
                    ".jse", ".vbs", ".vbe", ".wsf", ".ps1", ".sh", ".hta", ".lnk", ".app", ".elf", ".bin")
INERT_PREFIXES = ("image/", "audio/", "video/")
INERT_TYPES = frozenset({
    "application/pdf", "text/plain", "application/zip", "application/gzip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword", "application/vnd.ms-excel", "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet", "text/csv",
})
ACTIVE_IMAGES = frozenset({"image/svg+xml"})  # an SVG is a document that may carry script


def sniff(data: bytes) -> str:
    """The MIME type the bytes say they are: a known signature, else text/plain for UTF-8 text
    without control characters, else application/octet-stream."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    head = data[:8192]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # (the cut at 8 KB may split a character: then judge the bytes before it)
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return OCTET
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return OCTET
    return "text/plain"


def refused(data: bytes, name: str) -> str | None:
    """Why a file must not be kept (`executable`), or None."""
    if sniff(data) in EXECUTABLE_TYPES or data.startswith(b"#!"):  # (#!: a script)
        return "executable"
    if name.strip().lower().rstrip(". ").endswith(EXECUTABLE_NAMES):
        return "executable"
    return None


def served_type(content_type: str) -> str:
    """The Content-Type a stored file is served under: its own when inert, else octet-stream."""
    if content_type in ACTIVE_IMAGES:
        return OCTET
    if content_type in INERT_TYPES or content_type.startswith(INERT_PREFIXES):
        return content_type
    return OCTET
