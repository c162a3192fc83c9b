"""The ``OaiRepositories`` port on httpx2: an async OAI-PMH 2.0 client with tenacity
retries, the SSRF guard at every request and connection, and a hardened lxml parser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urljoin

import httpx2
import structlog
from lxml import etree
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from services.ingest.harvest.config import HarvestSettings
from services.ingest.harvest.domain import HarvestedRecord, HarvestError, Page
from shared import netguard
from shared.netguard import guarded_transport, retry_after_seconds
from shared.safe_xml import hardened_parser

log = structlog.get_logger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_O = f"{{{OAI_NS}}}"
MAX_REDIRECTS = 5


class RefusedUrl(HarvestError, netguard.RefusedUrl):
    """The URL resolves to an address we never call (SSRF guard)."""


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse URLs whose host resolves to loopback/private/link-local/reserved addresses.

    Checked before a source is saved and before each request, for a clear refusal; the
    harvester's transport checks again where it counts, at the connection.
    """
    try:
        await netguard.check_url(url, allow_private=allow_private)
    except netguard.RefusedUrl as refused:
        raise RefusedUrl(str(refused)) from None


class TransientError(HarvestError):
    """Worth retrying: network error, 5xx, 429/503 (with Retry-After), a broken page."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OaiProtocolError(HarvestError):
    """The repository answered with an OAI-PMH ``<error>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def harvest_transport(*, allow_private: bool) -> httpx2.AsyncHTTPTransport:
    """The harvester's transport: the shared SSRF guard at the connection."""
    return guarded_transport(allow_private=allow_private)


class OaiClient:
    """One repository's base URL; every request is guarded, retried and parsed safely."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        base_url: str,
        *,
        config: HarvestSettings,
        allow_private: bool,
        before_attempt: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url
        self.config = config
        self.allow_private = allow_private
        # Renews the run's lease before every attempt: retries may wait minutes.
        self.before_attempt = before_attempt

    async def request(self, params: dict[str, str]) -> etree._Element:
        """The parsed response of one verb, retried on transient failures."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if self.before_attempt is not None:
                    await self.before_attempt()
                return await self._once(params)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: object) -> float:
        outcome = getattr(state, "outcome", None)
        error = outcome.exception() if outcome is not None else None
        attempt = int(getattr(state, "attempt_number", 1))
        if isinstance(error, TransientError) and error.retry_after is not None:
            delay = error.retry_after
        else:
            delay = self.config.backoff_seconds * 2 ** (attempt - 1)
        if error is not None:
            log.info("oai_retry", url=self.base_url, attempt=attempt, wait=delay, error=str(error))
        return min(delay, self.config.max_wait_seconds)

    async def _once(self, params: dict[str, str]) -> etree._Element:
        url, query = self.base_url, params
        for _ in range(MAX_REDIRECTS + 1):
            await check_url(url, allow_private=self.allow_private)
            status, headers, body = await self._fetch(url, query)
            if status in (301, 302, 303, 307, 308) and headers.get("location"):
                url, query = urljoin(url, headers["location"]), {}
                continue
            return self._parse(status, headers, body)
        raise HarvestError(f"more than {MAX_REDIRECTS} redirects")

    async def _fetch(self, url: str, params: dict[str, str]) -> tuple[int, httpx2.Headers, bytes]:
        try:
            async with self.http.stream(
                "GET", url, params=params or None, timeout=self.config.request_timeout_seconds
            ) as response:
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.config.max_response_bytes:
                        raise HarvestError("response larger than the configured limit")
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
        except httpx2.TransportError as exc:
            raise TransientError(f"network error: {type(exc).__name__}: {exc}") from None
        except netguard.RefusedUrl as refused:  # raised by the guard at the connection
            raise RefusedUrl(str(refused)) from None

    def _parse(self, status: int, headers: httpx2.Headers, body: bytes) -> etree._Element:
        if status in (429, 503) or status >= 500:
            raise TransientError(
                f"HTTP {status}", retry_after=retry_after_seconds(headers.get("retry-after"))
            )
        if status != 200:
            raise HarvestError(f"HTTP {status} from the repository")
        try:
            root = etree.fromstring(body, hardened_parser())
        except etree.XMLSyntaxError as exc:
            raise TransientError(f"malformed XML page: {exc}") from None
        if root.tag != f"{_O}OAI-PMH":
            raise TransientError(f"not an OAI-PMH response (root {root.tag})")
        errors = root.findall(f"{_O}error")
        if errors:
            raise OaiProtocolError(errors[0].get("code") or "unknown", errors[0].text or "")
        return root

    async def identify(self) -> dict[str, str]:
        """Identify: repositoryName, granularity, deletedRecord, earliestDatestamp, responseDate."""
        root = await self.request({"verb": "Identify"})
        body = root.find(f"{_O}Identify")
        if body is None:
            raise HarvestError("Identify response without an Identify element")
        info = {
            name: (body.findtext(f"{_O}{name}") or "").strip()
            for name in ("repositoryName", "granularity", "deletedRecord", "earliestDatestamp")
        }
        info["responseDate"] = (root.findtext(f"{_O}responseDate") or "").strip()
        return info

    async def metadata_prefixes(self) -> list[str]:
        root = await self.request({"verb": "ListMetadataFormats"})
        return [
            (el.text or "").strip()
            for el in root.iter(f"{_O}metadataPrefix")
            if (el.text or "").strip()
        ]

    async def list_records(self, params: dict[str, str]) -> AsyncIterator[Page]:
        """Pages of ListRecords, following resumption tokens; noRecordsMatch is an empty list."""
        query = {"verb": "ListRecords", **params}
        while True:
            try:
                root = await self.request(query)
            except OaiProtocolError as error:
                if error.code == "noRecordsMatch":
                    return
                raise
            page = parse_list_records(root)
            yield page
            if not page.token:
                return
            query = {"verb": "ListRecords", "resumptionToken": page.token}


class HttpOaiRepositories:
    """Repositories over one pooled httpx2 client (guarded transport, our User-Agent), made
    on first use and closed by ``close``."""

    def __init__(self, *, config: HarvestSettings, allow_private: bool) -> None:
        self.config = config
        self.allow_private = allow_private
        self._http: httpx2.AsyncClient | None = None

    def open(
        self, base_url: str, *, before_attempt: Callable[[], Awaitable[None]] | None = None
    ) -> OaiClient:
        if self._http is None:
            self._http = httpx2.AsyncClient(
                transport=harvest_transport(allow_private=self.allow_private),
                follow_redirects=False,
                headers={"User-Agent": self.config.user_agent},
                timeout=self.config.request_timeout_seconds,
            )
        return OaiClient(
            self._http,
            base_url,
            config=self.config,
            allow_private=self.allow_private,
            before_attempt=before_attempt,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def parse_list_records(root: etree._Element) -> Page:
    """Records of one page; a record without identifier or metadata is a problem, not a crash."""
    body = root.find(f"{_O}ListRecords")
    if body is None:
        raise TransientError("ListRecords response without a ListRecords element")
    page = Page()
    for position, record in enumerate(body.iterfind(f"{_O}record")):
        header = record.find(f"{_O}header")
        identifier = (header.findtext(f"{_O}identifier") if header is not None else None) or ""
        identifier = identifier.strip()
        if not identifier:
            page.problems.append((f"#{position}", "record without a header identifier"))
            continue
        deleted = header.get("status") == "deleted"
        container = record.find(f"{_O}metadata")
        # The first element child (comments and processing instructions are skipped).
        metadata = (
            next((child for child in container if isinstance(child.tag, str)), None)
            if container is not None
            else None
        )
        if not deleted and metadata is None:
            page.problems.append((identifier, "record without metadata"))
            continue
        page.records.append(
            HarvestedRecord(
                identifier=identifier,
                datestamp=(header.findtext(f"{_O}datestamp") or "").strip(),
                deleted=deleted,
                metadata=metadata,
            )
        )
    token = body.find(f"{_O}resumptionToken")
    page.token = (token.text or "").strip() or None if token is not None else None
    return page
