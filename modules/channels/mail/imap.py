"""Reading a mailbox over IMAP with aioimaplib: connect (tls, starttls or none), log in, open the
folder read-only, list and fetch messages by UID, and wait in IDLE for new ones.

Nothing here changes the mailbox: the folder is opened with EXAMINE (read-only) and messages are
fetched with BODY.PEEK[], so no flag is set (not even \\Seen) and nothing is moved or deleted.

Every failure is an `ImapError` whose `code` (imap_auth_failed, imap_connection_refused...) is
what is stored and logged: never the password, never the server's own text (a server may echo a
user name or worse). aioimaplib logs the raw protocol (the LOGIN line, every mail it reads) at
debug and info level, so its log records are dropped here (`_Quiet`).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import socket
import ssl
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aioimaplib
from aioimaplib.aioimaplib import AUTH, SELECTED, Command, quoted

T = TypeVar("T")
TIMEOUT = 30.0  # seconds one command may stay silent (a large FETCH restarts it with every chunk)
SECURITY = ("tls", "starttls", "none")
UID_IN = re.compile(rb"UID (\d+)")
SIZE_IN = re.compile(rb"RFC822\.SIZE (\d+)")
CODE_IN = re.compile(rb"\[(UIDVALIDITY|UIDNEXT) (\d+)\]")


class _Quiet(logging.Filter):
    """aioimaplib's records carry the wire (mail content, server text): none of them is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


logging.getLogger("aioimaplib.aioimaplib").addFilter(_Quiet())


class ImapError(Exception):
    """`code` is stored on the account's health and logged: it never holds a secret or server text."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"

    @classmethod
    def of(cls, credentials: Mapping[str, Any]) -> ImapSettings | None:
        """The account's IMAP settings; None for a mailbox without `imap_host` (webhook only)."""
        host = str(credentials.get("imap_host") or "").strip()
        if not host:
            return None
        security = str(credentials.get("imap_security") or "tls")
        port = int(credentials.get("imap_port") or (993 if security == "tls" else 143))
        return cls(host=host, port=port, security=security, username=str(credentials.get("imap_username") or ""),
                   password=str(credentials.get("imap_password") or ""),
                   folder=str(credentials.get("imap_folder") or "INBOX").strip() or "INBOX")


def tls_context() -> ssl.SSLContext:
    """The server's certificate is verified against the system's CAs (tests trust their own CA here)."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


def encode_folder(name: str) -> str:
    """A folder name as an IMAP argument: modified UTF-7 (RFC 3501 5.1.3) for non-ASCII, quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return quoted("".join(out))


@dataclass(frozen=True)
class Folder:
    uidvalidity: int
    uidnext: int | None


@dataclass(frozen=True)
class Found:
    uid: int
    size: int


def _bytes_lines(lines: list[Any]) -> list[bytes]:
    return [bytes(line) for line in lines if isinstance(line, bytes)]


class Mailbox:
    """One IMAP connection, logged in with the folder open read-only. `async with Mailbox(settings)`."""

    def __init__(self, settings: ImapSettings, timeout: float = TIMEOUT) -> None:
        self.settings = settings
        self.timeout = timeout
        self.client: aioimaplib.IMAP4 | None = None
        self.folder: Folder | None = None
        self._lost: asyncio.Future[None] | None = None
        self._broken = False  # a command timed out or the connection dropped: close without LOGOUT

    # --- connection --------------------------------------------------------------------------

    def _connection_lost(self, exc: Exception | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    async def _call(self, awaitable: Awaitable[T]) -> T:
        """Run one command; a dropped connection ends it at once (aioimaplib would wait for its timeout)."""
        assert self._lost is not None
        task: asyncio.Future[T] = asyncio.ensure_future(awaitable)
        lost: asyncio.Future[Any] = self._lost
        try:
            await asyncio.wait([task, lost], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not task.done():
            task.cancel()
            self._broken = True
            raise ImapError("imap_connection_lost")
        try:
            return task.result()
        except ImapError:
            raise
        except (TimeoutError, aioimaplib.CommandTimeout):
            self._broken = True  # the server may still answer it: say nothing more on this connection
            raise ImapError("imap_timeout") from None
        except ValueError:  # a CR, LF or NUL in a user name or password: never sent
            raise ImapError("imap_invalid_credentials") from None
        except aioimaplib.AioImapException:
            raise ImapError("imap_protocol_error") from None

    async def connect(self) -> None:
        s = self.settings
        if s.security not in SECURITY:
            raise ImapError("imap_invalid_security")
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        try:
            if s.security == "tls":
                self.client = aioimaplib.IMAP4_SSL(host=s.host, port=s.port, timeout=self.timeout,
                                                   ssl_context=tls_context())
                self.client.protocol.conn_lost_cb = self._connection_lost
            else:
                self.client = aioimaplib.IMAP4(host=s.host, port=s.port, timeout=self.timeout,
                                               conn_lost_cb=self._connection_lost)
            await self.client.wait_hello_from_server()
        except ssl.SSLError:
            raise ImapError("imap_tls_failed") from None
        except socket.gaierror:
            raise ImapError("imap_host_not_found") from None
        except ConnectionRefusedError:
            raise ImapError("imap_connection_refused") from None
        except TimeoutError:
            raise ImapError("imap_timeout") from None
        except OSError:
            raise ImapError("imap_connection_failed") from None
        except aioimaplib.AioImapException:
            raise ImapError("imap_protocol_error") from None
        if s.security == "starttls":
            await self._starttls()

    async def _starttls(self) -> None:
        assert self.client is not None
        protocol = self.client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError("imap_starttls_unsupported")
        response = await self._call(protocol.execute(Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)))
        if response.result != "OK":
            raise ImapError("imap_starttls_refused")
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(loop.start_tls(
                protocol.transport, protocol, tls_context(), server_hostname=self.settings.host), self.timeout)
        except ssl.SSLError:
            raise ImapError("imap_tls_failed") from None
        except TimeoutError:
            raise ImapError("imap_timeout") from None
        except (OSError, ConnectionError):
            raise ImapError("imap_connection_failed") from None
        protocol.transport = transport
        await self._call(protocol.capability())  # what the server offers once encrypted

    async def login(self) -> None:
        """LOGIN with both arguments quoted; a refusal is imap_auth_failed (its text is not kept)."""
        assert self.client is not None
        protocol = self.client.protocol
        secret = quoted(self.settings.password)
        command = Command("LOGIN", protocol.new_tag(), quoted(self.settings.username), secret, loop=protocol.loop,
                          timeout=self.timeout)
        response = await self._call(protocol.execute(command, scrub=secret))
        if response.result != "OK":
            text = b" ".join(_bytes_lines(response.lines)).upper()
            raise ImapError("imap_unavailable" if b"[UNAVAILABLE]" in text else "imap_auth_failed")
        protocol.state = AUTH
        await self._call(protocol.capability())  # IDLE and others are often listed only after login

    async def examine(self) -> Folder:
        """Open the folder read-only; its UIDVALIDITY says whether the UIDs we keep still mean the same mails."""
        assert self.client is not None
        protocol = self.client.protocol
        response = await self._call(protocol.execute(Command(
            "EXAMINE", protocol.new_tag(), encode_folder(self.settings.folder), loop=protocol.loop,
            timeout=self.timeout)))
        if response.result != "OK":
            raise ImapError("imap_folder_not_found")
        codes = {m.group(1): int(m.group(2)) for line in _bytes_lines(response.lines) for m in CODE_IN.finditer(line)}
        if b"UIDVALIDITY" not in codes:
            raise ImapError("imap_no_uidvalidity")
        protocol.state = SELECTED  # aioimaplib tracks SELECT only; EXAMINE selects the folder too
        self.folder = Folder(uidvalidity=codes[b"UIDVALIDITY"], uidnext=codes.get(b"UIDNEXT"))
        return self.folder

    async def open(self) -> Mailbox:
        await self.connect()
        await self.login()
        await self.examine()
        return self

    async def close(self) -> None:
        """LOGOUT when the connection still stands, then drop it; never raises."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            transport = client.protocol.transport
            if transport is not None and not transport.is_closing() and not self._broken:
                if client.has_pending_idle():
                    client.idle_done()
                await asyncio.wait_for(client.protocol.logout(), 2.0)
        except (Exception, asyncio.CancelledError):  # noqa: BLE001, S110 - leaving anyway
            pass
        finally:
            transport = client.protocol.transport
            if transport is not None:
                transport.close()
            for task in [*client.tasks, *client.protocol.tasks]:
                task.cancel()

    async def __aenter__(self) -> Mailbox:
        try:
            return await self.open()
        except BaseException:
            await self.close()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- reading -----------------------------------------------------------------------------

    def capable(self, name: str) -> bool:
        return self.client is not None and name in self.client.protocol.capabilities

    async def after(self, last_uid: int, limit: int) -> list[Found]:
        """The messages above `last_uid`, oldest first, at most `limit`, with their sizes.
        (`n:*` always includes the highest UID, even below n: filtered here.)"""
        assert self.client is not None
        response = await self._call(self.client.uid_search("UID", f"{last_uid + 1}:*", charset=None))
        if response.result != "OK":
            raise ImapError("imap_search_failed")
        # aioimaplib hands the untagged SEARCH line without its name; the last line is the tagged
        # completion's text ("Search completed (0.001 secs)"), whose numbers are no UIDs.
        found = _bytes_lines(response.lines[:-1])
        uids = sorted({int(u) for line in found for u in line.removeprefix(b"SEARCH").split() if u.isdigit()})
        uids = [u for u in uids if u > last_uid][:limit]
        if not uids:
            return []
        response = await self._call(self.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)"))
        if response.result != "OK":
            raise ImapError("imap_fetch_failed")
        sizes: dict[int, int] = {}
        for line in _bytes_lines(response.lines):
            uid, size = UID_IN.search(line), SIZE_IN.search(line)
            if uid and size:
                sizes[int(uid.group(1))] = int(size.group(1))
        # A UID the server no longer answers for was expunged meanwhile: nothing to read.
        return [Found(uid, sizes[uid]) for uid in uids if uid in sizes]

    async def _literal(self, uid: int, part: str) -> bytes | None:
        assert self.client is not None
        response = await self._call(self.client.uid("FETCH", str(uid), f"(UID {part})"))
        if response.result != "OK":
            raise ImapError("imap_fetch_failed")
        lines = response.lines
        for index, line in enumerate(lines):
            if isinstance(line, bytes) and b"FETCH (" in line and index + 1 < len(lines):
                literal = lines[index + 1]
                tail = lines[index + 2] if index + 2 < len(lines) and isinstance(lines[index + 2], bytes) else b""
                found = UID_IN.search(line) or UID_IN.search(tail)
                if isinstance(literal, bytearray) and found and int(found.group(1)) == uid:
                    return bytes(literal)
        return None  # expunged since it was listed

    async def fetch(self, uid: int) -> bytes | None:
        """The raw message, read without setting \\Seen; None when it is gone."""
        return await self._literal(uid, "BODY.PEEK[]")

    async def message_id_header(self, uid: int) -> bytes | None:
        """The Message-ID header alone (a message too large to read whole is still deduplicated by it)."""
        return await self._literal(uid, "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")

    # --- IDLE --------------------------------------------------------------------------------

    async def idle_start(self) -> None:
        assert self.client is not None
        if not self.capable("IDLE"):
            raise ImapError("imap_idle_unsupported")
        await self._call(self.client.idle_start(timeout=24 * 3600.0))  # renewed by the caller long before

    async def wait_push(self, seconds: float, halt: asyncio.Event | None = None) -> list[bytes]:
        """What the server said while idling (b"12 EXISTS"...), or [] after `seconds` or once `halt` is set."""
        assert self.client is not None
        queue = self.client.protocol.idle_queue

        async def next_push() -> list[Any]:
            getting = asyncio.ensure_future(queue.get())
            waits: set[asyncio.Future[Any]] = {getting}
            if halt is not None:
                waits.add(asyncio.ensure_future(halt.wait()))
            try:
                await asyncio.wait(waits, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    if waiting is not getting:
                        waiting.cancel()
            if getting.done():
                return list(getting.result())
            getting.cancel()  # nothing said (or told to stop): that is no failure
            return []

        push = await self._call(next_push())
        return [bytes(line) for line in push if isinstance(line, bytes | bytearray)]

    async def idle_done(self) -> None:
        assert self.client is not None
        if not self.client.has_pending_idle():
            return
        pending = [t for t in self.client.tasks if not t.done()]
        self.client.idle_done()
        if pending:
            await self._call(asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), self.timeout))

    def pushed(self) -> bool:
        """Whether the server said more while we were busy (read it with wait_push)."""
        return self.client is not None and not self.client.protocol.idle_queue.empty()
