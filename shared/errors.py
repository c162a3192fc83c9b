"""The one family of errors a use case raises for its caller: no framework, mapped to HTTP once.

Domains and handlers raise ``Refusal`` (or ``NotFound``); ``shared/http.py`` turns every one
into the JSON error envelope, in the caller's language, with its status and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# How long a caller waits before retrying when the store or the broker is out (Retry-After).
OUTAGE_RETRY_SECONDS = 30


class BrokerUnavailable(Exception):
    """The broker did not confirm a publish (down, unreachable, timed out, or refused it).

    Raised by ``shared.topology.RabbitPublisher``, the one publisher every service uses; a
    use case that catches it keeps its outbox entry for the relay to publish again.
    """


# The envelope's ``code`` for each status, unless the error names its own.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


class Refusal(Exception):
    """A request refused for a reason the caller can act on, in Vietnamese and English."""

    def __init__(
        self,
        status: int,
        message_vi: str,
        message_en: str,
        *,
        code: str | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message_vi = message_vi
        self.message_en = message_en
        self.details = details
        self.headers = dict(headers or {})

    def message(self, english: bool) -> str:
        """The message in the caller's language."""
        return self.message_en if english else self.message_vi


class NotFound(Refusal, LookupError):
    """What was asked for does not exist (404); ``str(exc)`` is the id that was looked up."""

    def __init__(self, ident: str) -> None:
        super().__init__(404, f"Không tìm thấy {ident!r}", f"{ident!r} not found")
        self.args = (ident,)
        self.ident = ident
