"""Per-member webhooks over httpx2: signed JSON, retried with back-off (tenacity), and
connected only to public addresses unless private networks are allowed (SSRF guard)."""

from __future__ import annotations

import httpx2
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.netguard import guarded_transport


class WebhookRejected(Exception):
    """The receiver answered, but not with 2xx."""


class HttpWebhookSender:
    """POSTs to the member's ``webhook_url``; 3 tries, 0.5 s → 4 s apart; 10 s timeout.

    A URL that resolves to a loopback/private/reserved address raises
    ``shared.netguard.RefusedUrl`` at once (not retried) unless ``allow_private``.
    """

    def __init__(
        self, *, allow_private: bool = False, attempts: int = 3, timeout: float = 10.0
    ) -> None:
        self._attempts = attempts
        self._client = httpx2.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            transport=guarded_transport(allow_private=allow_private),
        )

    async def _post_once(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        response = await self._client.post(url, content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise WebhookRejected(f"HTTP {response.status_code} from the receiver")

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        """Deliver once accepted (2xx); raises the last error after every try failed."""
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.5, max=4.0),
            retry=retry_if_exception_type((httpx2.HTTPError, WebhookRejected)),
            reraise=True,
        ):
            with attempt:
                await self._post_once(url, body, headers)

    async def close(self) -> None:
        await self._client.aclose()
