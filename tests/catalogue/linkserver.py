"""A scripted HTTP/1.1 server for the link checker's tests and bench, on several loopback
addresses at once (each address is a host: 127.0.0.1, 127.0.0.2, …).

Paths decide the answer (``ROUTES``); a test may replace one (``server.routes[path] = …``)
to fix or break a link. Every request is recorded with its host and monotonic time.

    .venv/bin/python -m tests.catalogue.linkserver --hosts 1000 --port 8999   # bench: a process
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

STATS = "/__stats"
Answer = tuple[int, dict[str, str]]
Route = Callable[[str, str], Awaitable[Answer] | Answer]  # (method, host) -> answer


@dataclass(frozen=True)
class Hit:
    host: str
    method: str
    path: str
    at: float  # time.monotonic()


def answer(status: int, **headers: str) -> Route:
    def route(_method: str, _host: str) -> Answer:
        return status, {k.replace("_", "-"): v for k, v in headers.items()}

    return route


def head_refused(method: str, _host: str) -> Answer:
    return (405, {}) if method == "HEAD" else (200, {})


async def slow(_method: str, _host: str) -> Answer:
    await asyncio.sleep(3)
    return 200, {}


def limited_once(seconds: int) -> Route:
    """429 with ``Retry-After`` the first time a host asks, 200 after."""
    asked: set[str] = set()

    def route(_method: str, host: str) -> Answer:
        if host in asked:
            return 200, {}
        asked.add(host)
        return 429, {"Retry-After": str(seconds)}

    return route


def default_routes() -> dict[str, Route]:
    return {
        "/ok": answer(200),
        "/dead": answer(404),
        "/head-refused": head_refused,
        "/loop": answer(302, Location="/loop"),
        "/hop": answer(301, Location="/ok"),
        "/slow": slow,
        "/limited": limited_once(2),
    }


@dataclass
class LinkServer:
    hosts: list[str]
    port: int
    routes: dict[str, Route] = field(default_factory=default_routes)
    hits: list[Hit] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> LinkServer:
        self._server = await asyncio.start_server(
            self._serve, host=self.hosts, port=self.port, backlog=1024
        )
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def _stats(self, _method: str, _host: str) -> Answer:
        """For a server in its own process: requests seen, and the shortest gap between
        two requests to one host (``STATS`` requests aside)."""
        by_host: dict[str, list[float]] = {}
        for hit in self.hits:
            if hit.path != STATS:
                by_host.setdefault(hit.host, []).append(hit.at)
        gaps = [b - a for times in by_host.values() for a, b in itertools.pairwise(times)]
        count = sum(len(times) for times in by_host.values())
        return 200, {"X-Requests": str(count), "X-Min-Gap": f"{min(gaps, default=-1):.4f}"}

    def times(self, host: str) -> list[float]:
        return [hit.at for hit in self.hits if hit.host == host]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        self._writers.add(writer)
        try:
            while request := await _read_request(reader):
                method, path = request
                self.hits.append(Hit(host, method, path, time.monotonic()))
                route = self.routes.get(path, answer(404)) if path != STATS else self._stats
                result = route(method, host)
                status, headers = await result if isinstance(result, Awaitable) else result
                lines = [f"HTTP/1.1 {status} X", "Content-Length: 0"]
                lines += [f"{k}: {v}" for k, v in headers.items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str] | None:
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    method, path, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    return method, path.split("?", 1)[0]


def loopback_hosts(count: int) -> list[str]:
    """``count`` loopback addresses, 127.0.0.1 onwards (127.0.1.0 after 127.0.0.255, …)."""
    return [f"127.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}" for n in range(1, count + 1)]


async def _serve_forever(hosts: int, port: int) -> None:
    server = await LinkServer(loopback_hosts(hosts), port).start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.hosts, args.port))
