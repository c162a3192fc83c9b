"""The ``LinkChecker`` port on httpx2: HEAD then GET, redirects followed by hand (each hop checked
by the SSRF guard and given its host's turn), timeouts, back-off on 429/503."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx2

from services.catalogue.linkcheck.domain import (
    DEFAULT_BACK_OFF_SECONDS,
    MAX_BACK_OFF_SECONDS,
    MAX_REDIRECTS,
    REDIRECTS,
    CheckResult,
    Verdict,
    get_decides,
    host_of,
    judge,
)
from services.catalogue.linkcheck.politeness import HostSchedule
from shared import netguard
from shared.netguard import guarded_transport, retry_after_seconds

USER_AGENT = "stinet-linkcheck/1.0 (+https://github.com/stinet; link checker of the catalogue)"


class HttpLinkChecker:
    """Checks URLs with one pooled client; ``close`` in the lifespan's exit."""

    def __init__(self, *, schedule: HostSchedule, timeout: float, allow_private: bool) -> None:
        self._schedule = schedule
        self._timeout = timeout
        self._allow_private = allow_private
        self._client = httpx2.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            transport=guarded_transport(allow_private=allow_private),
        )

    async def check(self, url: str) -> CheckResult:
        """Follow up to ``MAX_REDIRECTS`` redirects; the last answer decides."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                await netguard.check_url(current, allow_private=self._allow_private)
                status, location, retry_after = await self._probe(current)
            except netguard.RefusedUrl as refused:
                return CheckResult.failed(f"refused: {refused}")
            except httpx2.TimeoutException:
                return CheckResult.failed(f"timeout after {self._timeout:g} s")
            except httpx2.ConnectError as exc:
                return CheckResult.failed(f"cannot connect: {exc or 'connection refused'}")
            except httpx2.HTTPError as exc:
                return CheckResult.failed(f"{type(exc).__name__}: {exc}")
            if status in REDIRECTS and location:
                current = urljoin(current, location)
                continue
            return self._judged(current, status, retry_after)
        return CheckResult.failed(f"more than {MAX_REDIRECTS} redirects")

    def _judged(self, url: str, status: int, retry_after: float | None) -> CheckResult:
        result = judge(status, retry_after)
        if result.verdict is Verdict.DEFERRED:
            wait = min(result.retry_after or DEFAULT_BACK_OFF_SECONDS, MAX_BACK_OFF_SECONDS)
            self._schedule.back_off(host_of(url), wait)
        return result

    async def _probe(self, url: str) -> tuple[int, str | None, float | None]:
        answer = await self._request("HEAD", url)
        if get_decides(answer[0]):
            answer = await self._request("GET", url)
        return answer

    async def _request(self, method: str, url: str) -> tuple[int, str | None, float | None]:
        async with (
            self._schedule.turn(host_of(url)),
            self._client.stream(method, url) as response,
        ):
            # The body is never read: the status is the answer (the stream closes here).
            headers = response.headers
            return (
                response.status_code,
                headers.get("location"),
                retry_after_seconds(headers.get("retry-after")),
            )

    async def close(self) -> None:
        await self._client.aclose()
