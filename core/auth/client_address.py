"""The real client's address, for rate limits: the socket's peer, or behind trusted proxies the
right-most X-Forwarded-For entry that is not one of them.

Only proxies listed in TRUSTED_PROXIES are believed: anyone else can write any X-Forwarded-For,
so with none listed the header is ignored. Entries are read from the right because each proxy
appends the address it saw; the left-most ones are whatever the client chose to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import HTTPConnection

UNKNOWN = "unknown"


def _trusted(address: str, proxies: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(conn: HTTPConnection, proxies: Sequence[IPv4Network | IPv6Network]) -> str:
    peer = conn.client.host if conn.client is not None else UNKNOWN
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for value in conn.headers.getlist("x-forwarded-for") for h in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, proxies):
            try:
                return str(ip_address(hop))
            except ValueError:
                return UNKNOWN  # a garbled entry behind our own proxy: one shared, slowed bucket
    return peer
