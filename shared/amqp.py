"""Several broker addresses in one ``AMQP_URL``: the nodes of a RabbitMQ cluster.

``AMQP_URL`` is one URL or a comma-separated list of them
(``amqp://u:p@rabbit-1:5672/,amqp://u:p@rabbit-2:5672/,…``; a comma inside a password is
written ``%2C``). A service connects to the first address that completes the AMQP
handshake and, when it loses that connection, to the next one that answers, round and round:
quorum queues are replicated on every node, so any node serves every queue.

Neither aio-pika nor FastStream takes a list (aio-pika issue #141), so
:class:`FailoverConnection` is aio-pika's ``RobustConnection`` with one change: each attempt,
first or after a loss, goes to the next address, and only a whole round of failed addresses
waits the reconnect interval (or, on the first connect with ``fail_fast``, fails).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractConnection, TimeoutType
from yarl import URL

SCHEMES = ("amqp", "amqps")


def broker_address(amqp_url: str) -> str:
    """``host:port/vhost`` of one AMQP URL: what a log may say about a broker (no secrets)."""
    parts = urlsplit(amqp_url)
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    return f"{parts.hostname}:{port}{parts.path or '/'}"


def broker_urls(amqp_url: str) -> tuple[str, ...]:
    """The addresses of an ``AMQP_URL`` (one URL or a comma-separated list), in order.

    Raises ``ValueError`` naming the position of an address that is empty or not an
    ``amqp://``/``amqps://`` URL with a host (never its text: it may carry a password).
    """
    urls = tuple(part.strip() for part in amqp_url.split(","))
    for position, url in enumerate(urls, 1):
        try:
            parts = urlsplit(url)
            valid = parts.scheme in SCHEMES and bool(parts.hostname)
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(
                f"AMQP_URL address {position} of {len(urls)} is not an amqp:// or amqps:// URL "
                "with a host (several addresses are separated by commas)"
            )
    return urls


def broker_addresses(amqp_url: str) -> str:
    """Every address of an ``AMQP_URL`` as ``host:port/vhost``, comma-separated (for logs)."""
    return ",".join(broker_address(url) for url in broker_urls(amqp_url))


class FailoverConnection(aio_pika.RobustConnection):
    """A robust connection over several addresses of one cluster, tried in turn.

    aio-pika reports every failed attempt and every lost connection through
    ``_on_connection_close``; there the next address becomes the one the next attempt
    dials. While a round still has untried addresses the next attempt goes at once; after a
    whole round failed it waits the usual reconnect interval. ``fail_fast`` (a first
    connect that fails raises) applies to the whole round, not to the first address.
    """

    def __init__(
        self,
        url: URL,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        addresses: Sequence[str],
        **kwargs: Any,
    ) -> None:
        fail_fast = kwargs.pop("fail_fast", True)
        # fail fast here means "no address of the round answered", decided in ``connect``
        super().__init__(url, loop=loop, fail_fast=False, **kwargs)
        self._addresses = [URL(address).update_query(url.query) for address in addresses]
        self._next = 0
        self.url = self._addresses[0]
        self._interval = self.reconnect_interval
        self._failures = 0  # attempts failed (or connections lost) since the last success
        self._gave_up: asyncio.Future[None] = self.loop.create_future()
        self._fail_fast = fail_fast not in (False, 0, "0", "false", "False")

    @property
    def addresses(self) -> tuple[URL, ...]:
        return tuple(self._addresses)

    async def connect(self, timeout: TimeoutType = None) -> None:  # noqa: ASYNC109 (aio-pika's)
        connecting = asyncio.ensure_future(super().connect(timeout))
        await asyncio.wait({connecting, self._gave_up}, return_when=asyncio.FIRST_COMPLETED)
        if connecting.done():
            return connecting.result()
        connecting.cancel()
        error = self._gave_up.exception()
        await self.close()
        raise error if error is not None else ConnectionError("no broker address answered")

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        self._failures += 1
        self.url = self._addresses[self._turn()]
        round_over = self._failures % len(self._addresses) == 0
        self.reconnect_interval = self._interval if round_over else 0
        if round_over and self.connection_attempt == 0 and self._fail_fast:
            self._give_up(closing)
        await super()._on_connection_close(closing)

    def _turn(self) -> int:
        """Move on to the next address; its index."""
        self._next = (self._next + 1) % len(self._addresses)
        return self._next

    def _give_up(self, closing: asyncio.Future[Any]) -> None:
        if self._gave_up.done():
            return
        try:
            error = closing.exception()
        except asyncio.CancelledError:
            error = None
        self._gave_up.set_exception(error or ConnectionError("no broker address answered"))

    async def _on_connected(self) -> None:
        await super()._on_connected()
        self._failures = 0
        self.reconnect_interval = self._interval


def failover_connection_class(urls: Sequence[str]) -> Callable[..., FailoverConnection]:
    """What aio-pika's ``connect_robust(connection_class=…)`` calls to fail over ``urls``."""
    return functools.partial(FailoverConnection, addresses=tuple(urls))


async def connect_first(amqp_url: str, **kwargs: Any) -> AbstractConnection:
    """A plain (not robust) connection to the first address of ``amqp_url`` that answers."""
    error: BaseException | None = None
    for url in broker_urls(amqp_url):
        try:
            connection: AbstractConnection = await aio_pika.connect(url, **kwargs)
            return connection
        except (OSError, TimeoutError, aio_pika.exceptions.AMQPError) as exc:
            error = exc
    assert error is not None
    raise error
