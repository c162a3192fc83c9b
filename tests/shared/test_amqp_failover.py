"""Several broker addresses in AMQP_URL (a cluster): parsing, and the choice of address.

One real broker stands in for a cluster: a dead address first in the list, or two proxies
in front of it (cutting one is "that node stopped"). No queue is declared: connecting is
what is under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aio_pika
import pytest
from pydantic import ValidationError

from devstack.processes import free_port
from shared.amqp import FailoverConnection, broker_addresses, broker_urls
from shared.config import Settings
from shared.runtime import BrokerUnavailableError, connect_broker
from shared.topology import make_broker
from tests.conftest import AMQP_URL
from tests.ingest.proxy import CuttableProxy

LIVE_PORT = urlsplit(AMQP_URL).port or 5672


def url_at(port: int) -> str:
    return f"amqp://guest:guest@127.0.0.1:{port}/"


def cluster(*urls: str) -> Settings:
    return Settings(amqp_url=",".join(urls))


@pytest.fixture
async def proxies() -> AsyncIterator[tuple[CuttableProxy, CuttableProxy]]:
    pair = (
        await CuttableProxy(upstream_port=LIVE_PORT).start(),
        await CuttableProxy(upstream_port=LIVE_PORT).start(),
    )
    yield pair
    for proxy in pair:
        await proxy.cut()


def test_one_url_is_a_list_of_one() -> None:
    assert broker_urls("amqp://u:p@rabbit-1:5672/") == ("amqp://u:p@rabbit-1:5672/",)


def test_a_comma_separated_list_keeps_its_order_and_drops_blanks_around_commas() -> None:
    urls = broker_urls("amqp://u:p@rabbit-1:5672/, amqp://u:p@rabbit-2:5673/ ,amqps://u:p@r3/")
    assert urls == ("amqp://u:p@rabbit-1:5672/", "amqp://u:p@rabbit-2:5673/", "amqps://u:p@r3/")
    assert broker_addresses(",".join(urls)) == "rabbit-1:5672/,rabbit-2:5673/,r3:5671/"


@pytest.mark.parametrize(
    "value, position",
    [
        ("amqp://u:secret@rabbit-1:5672/,", 2),  # a trailing comma
        ("amqp://u:secret@rabbit-1:5672/,rabbit-2:5672", 2),  # no scheme
        ("http://u:secret@rabbit-1/", 1),
        ("amqp://u:secret@rabbit-1:port/", 1),
    ],
)
def test_a_bad_address_is_refused_by_position_without_its_password(
    value: str, position: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(amqp_url=value)
    [error] = caught.value.errors()
    assert f"address {position} of" in error["msg"]
    assert "secret" not in error["msg"]


def test_the_shipped_password_is_refused_in_any_address() -> None:
    with pytest.raises(ValidationError, match="change-me"):
        cluster("amqp://stinet:long-random@rabbit-1:5672/", "amqp://stinet:change-me@rabbit-2/")


async def test_one_url_keeps_aio_pikas_own_connection() -> None:
    broker = make_broker(cluster(AMQP_URL))
    try:
        connection = await broker.connect()
        assert type(connection) is aio_pika.RobustConnection
    finally:
        await broker.stop()


async def test_a_dead_first_address_is_skipped_for_the_live_one() -> None:
    broker = make_broker(cluster(url_at(free_port()), AMQP_URL))
    try:
        async with asyncio.timeout(10):  # the dead one refuses: no reconnect interval waited
            connection = await broker.connect()
        assert isinstance(connection, FailoverConnection)
        assert connection.url.port == LIVE_PORT
        assert await broker.ping(timeout=2.0)
    finally:
        await broker.stop()


async def test_no_address_answering_fails_the_start_after_one_round() -> None:
    dead = [free_port(), free_port()]
    settings = cluster(*(url_at(port) for port in dead))
    broker = make_broker(settings)
    async with asyncio.timeout(10):
        with pytest.raises(BrokerUnavailableError) as caught:
            await connect_broker(broker, settings, "test")
    assert f"127.0.0.1:{dead[0]}/,127.0.0.1:{dead[1]}/" in str(caught.value)


async def test_losing_the_connected_address_reconnects_to_another(
    proxies: tuple[CuttableProxy, CuttableProxy],
) -> None:
    first, second = proxies
    broker = make_broker(cluster(url_at(first.port), url_at(second.port)))
    try:
        connection = await broker.connect()
        assert connection.url.port == first.port
        reconnected = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: reconnected.set())
        await first.cut()  # that node stopped; it stays down
        async with asyncio.timeout(15):
            await reconnected.wait()
        assert connection.url.port == second.port
        assert await broker.ping(timeout=2.0)
        channel = await connection.channel()  # the connection really works
        await channel.close()
    finally:
        await broker.stop()
