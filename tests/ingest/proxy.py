"""A TCP proxy the test controls, between ingest and RabbitMQ: cutting it is "the broker is down"
for ingest only (the machine's RabbitMQ keeps running for everybody else)."""

from __future__ import annotations

import asyncio
import contextlib

from devstack.processes import free_port


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the broker; ``cut()`` drops every connection and refuses new
    ones until ``restore()``; ``cut_after(n)`` cuts once ``n`` more bytes went upstream."""

    def __init__(self, upstream_host: str = "127.0.0.1", upstream_port: int = 5672) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.budget: int | None = None

    async def start(self) -> CuttableProxy:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def restore(self) -> None:
        self.budget = None
        if self.server is None:
            await self.start()

    def cut_after(self, upstream_bytes: int) -> None:
        self.budget = upstream_bytes

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update({writer, up_writer})
        await asyncio.gather(
            self._pipe(reader, up_writer, upstream=True),
            self._pipe(up_reader, writer, upstream=False),
            return_exceptions=True,
        )
        for w in (writer, up_writer):
            self.writers.discard(w)
            w.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if upstream and self.budget is not None:
                    self.budget -= len(data)
                    if self.budget < 0:
                        await self.cut()
                        return
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
