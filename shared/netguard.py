"""The SSRF guard for every outbound call to a URL a member or the centre gave us.

Harvesting, webhooks and the link checker all connect through ``guarded_transport``: the
host is resolved once, every address it resolves to must be public, and the socket goes to
the address that was checked, so a DNS answer that changes between check and connection
(rebinding) never reaches a private address. TLS still verifies the name.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2


class RefusedUrl(Exception):
    """The URL is not http(s), or resolves to an address we never call."""


def refused_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: never called."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def public_address(host: str, port: int) -> str:
    """The first address of ``host``, if every address it resolves to is public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
        raise RefusedUrl(f"host {host} does not resolve ({exc})") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(refused_address(address) for address in addresses):
        raise RefusedUrl(f"host {host} resolves to a loopback/private/reserved address")
    return addresses[0]


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL early, with a clear reason (the transport checks again at connection)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedUrl(f"not an http(s) URL: {url}")
    if not allow_private:
        await public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class PublicOnlyBackend(httpcore2.AsyncNetworkBackend):
    """Connects only where it checked (see the module's docstring)."""

    def __init__(self) -> None:
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        address = await public_address(host, port)
        return await self._inner.connect_tcp(
            address, port, timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise RefusedUrl("unix sockets are never called")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) in seconds from now; None if absent
    or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def guarded_transport(*, allow_private: bool) -> httpx2.AsyncHTTPTransport:
    """httpx2's transport, connecting through ``PublicOnlyBackend`` unless private networks
    are allowed (httpx2 has no argument for a network backend: its pool is replaced)."""
    transport = httpx2.AsyncHTTPTransport()
    if not allow_private:
        transport._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(), network_backend=PublicOnlyBackend()
        )
    return transport
