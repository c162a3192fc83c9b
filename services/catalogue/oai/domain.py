"""OAI-PMH 2.0 request rules: verbs, arguments, dates, sets and resumption tokens (no I/O).

Spec: https://www.openarchives.org/OAI/openarchivesprotocol.html (sections 3.1–3.6, 4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from shared.records import MEMBER_CODE_PATTERN, Kind

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

METADATA_FORMATS: dict[str, tuple[str, str]] = {
    # prefix: (schema, namespace)
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
}


class Verb(StrEnum):
    IDENTIFY = "Identify"
    LIST_METADATA_FORMATS = "ListMetadataFormats"
    LIST_SETS = "ListSets"
    LIST_IDENTIFIERS = "ListIdentifiers"
    LIST_RECORDS = "ListRecords"
    GET_RECORD = "GetRecord"


class ErrorCode(StrEnum):
    BAD_ARGUMENT = "badArgument"
    BAD_RESUMPTION_TOKEN = "badResumptionToken"
    BAD_VERB = "badVerb"
    CANNOT_DISSEMINATE_FORMAT = "cannotDisseminateFormat"
    ID_DOES_NOT_EXIST = "idDoesNotExist"
    NO_RECORDS_MATCH = "noRecordsMatch"
    NO_METADATA_FORMATS = "noMetadataFormats"
    NO_SET_HIERARCHY = "noSetHierarchy"


class OaiError(Exception):
    """One OAI-PMH error condition (answered with HTTP 200 and an ``<error>`` element)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def echoes_arguments(self) -> bool:
        """badVerb and badArgument responses must not echo the request's arguments (§3.6)."""
        return self.code not in (ErrorCode.BAD_VERB, ErrorCode.BAD_ARGUMENT)


_REQUIRED: dict[Verb, frozenset[str]] = {
    Verb.IDENTIFY: frozenset(),
    Verb.LIST_METADATA_FORMATS: frozenset(),
    Verb.LIST_SETS: frozenset(),
    Verb.LIST_IDENTIFIERS: frozenset({"metadataPrefix"}),
    Verb.LIST_RECORDS: frozenset({"metadataPrefix"}),
    Verb.GET_RECORD: frozenset({"identifier", "metadataPrefix"}),
}
_OPTIONAL: dict[Verb, frozenset[str]] = {
    Verb.IDENTIFY: frozenset(),
    Verb.LIST_METADATA_FORMATS: frozenset({"identifier"}),
    Verb.LIST_SETS: frozenset(),
    Verb.LIST_IDENTIFIERS: frozenset({"from", "until", "set"}),
    Verb.LIST_RECORDS: frozenset({"from", "until", "set"}),
    Verb.GET_RECORD: frozenset(),
}
_TOKEN_VERBS = frozenset({Verb.LIST_SETS, Verb.LIST_IDENTIFIERS, Verb.LIST_RECORDS})


@dataclass(frozen=True)
class OaiRequest:
    """A syntactically valid request: the verb and its arguments (verb excluded)."""

    verb: Verb
    args: dict[str, str] = field(default_factory=dict)


def parse_request(pairs: list[tuple[str, str]]) -> OaiRequest:
    """Validate verb and arguments (§3.1, §4); raise ``OaiError`` badVerb / badArgument."""
    verbs = [value for key, value in pairs if key == "verb"]
    if len(verbs) != 1:
        raise OaiError(ErrorCode.BAD_VERB, "The verb argument is missing or repeated.")
    try:
        verb = Verb(verbs[0])
    except ValueError:
        raise OaiError(ErrorCode.BAD_VERB, "Illegal OAI verb.") from None
    args: dict[str, str] = {}
    for key, value in pairs:
        if key == "verb":
            continue
        if key in args:
            raise OaiError(ErrorCode.BAD_ARGUMENT, f"Repeated argument: {key}.")
        args[key] = value
    _check_arguments(verb, args)
    return OaiRequest(verb=verb, args=args)


def _check_arguments(verb: Verb, args: dict[str, str]) -> None:
    if "resumptionToken" in args and verb in _TOKEN_VERBS:
        if len(args) > 1:
            raise OaiError(
                ErrorCode.BAD_ARGUMENT, "resumptionToken is exclusive: no other argument allowed."
            )
        return
    allowed = _REQUIRED[verb] | _OPTIONAL[verb]
    illegal = sorted(set(args) - allowed)
    if illegal:
        raise OaiError(ErrorCode.BAD_ARGUMENT, f"Illegal argument(s): {', '.join(illegal)}.")
    missing = sorted(_REQUIRED[verb] - set(args))
    if missing:
        raise OaiError(ErrorCode.BAD_ARGUMENT, f"Missing argument(s): {', '.join(missing)}.")
    empty = sorted(key for key, value in args.items() if not value.strip())
    if empty:
        raise OaiError(ErrorCode.BAD_ARGUMENT, f"Empty argument(s): {', '.join(empty)}.")


# --- dates -------------------------------------------------------------------------------

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@dataclass(frozen=True)
class DateBound:
    """A ``from``/``until`` value: the instant and whether it was given with day granularity."""

    instant: datetime
    day_granularity: bool


def parse_datestamp(name: str, value: str) -> DateBound:
    """Parse a UTCdatetime argument of either granularity we support (§3.3.1)."""
    try:
        if _DAY.match(value):
            day = date.fromisoformat(value)
            return DateBound(datetime(day.year, day.month, day.day, tzinfo=UTC), True)
        if _SECOND.match(value):
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return DateBound(parsed, False)
    except ValueError:
        pass
    raise OaiError(ErrorCode.BAD_ARGUMENT, f"Illegal {name} date: use YYYY-MM-DD or {GRANULARITY}.")


def date_range(
    from_value: str | None, until_value: str | None
) -> tuple[datetime | None, datetime | None]:
    """``[from, until_exclusive)`` in UTC; both bounds inclusive at their own granularity."""
    start = parse_datestamp("from", from_value) if from_value else None
    end = parse_datestamp("until", until_value) if until_value else None
    if start and end and start.day_granularity != end.day_granularity:
        raise OaiError(ErrorCode.BAD_ARGUMENT, "from and until must have the same granularity.")
    if start and end and start.instant > end.instant:
        raise OaiError(ErrorCode.BAD_ARGUMENT, "from is later than until.")
    end_exclusive = None
    if end is not None:
        step = timedelta(days=1) if end.day_granularity else timedelta(seconds=1)
        end_exclusive = end.instant + step
    return (start.instant if start else None), end_exclusive


def datestamp(value: datetime) -> str:
    """A datestamp at our granularity (seconds, UTC, ``Z``)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- identifiers and sets ------------------------------------------------------------------


def oai_identifier(domain: str, record_id: str) -> str:
    """``oai:<repository domain>:<record id>`` (the OAI identifier scheme)."""
    return f"oai:{domain}:{record_id}"


def record_id_of(domain: str, identifier: str) -> str | None:
    """The record id inside one of our OAI identifiers, or None if it is not ours."""
    prefix = f"oai:{domain}:"
    if not identifier.startswith(prefix) or len(identifier) == len(prefix):
        return None
    return identifier[len(prefix) :]


_MEMBER = re.compile(MEMBER_CODE_PATTERN)
_KINDS = frozenset(kind.value for kind in Kind)


def set_filter(spec: str) -> dict[str, Any] | None:
    """The record filter of a setSpec, or None when no such set exists here.

    Sets: ``member`` and ``kind`` (all records), ``member:<code>``, ``kind:<kind>``.
    """
    if spec in ("member", "kind"):
        return {}
    group, _, value = spec.partition(":")
    if group == "member" and _MEMBER.match(value):
        return {"member": value}
    if group == "kind" and value in _KINDS:
        return {"kind": value}
    return None


def record_sets(member: str, kind: str) -> list[str]:
    """The setSpecs a record belongs to (the parents ``member`` / ``kind`` are implied)."""
    return [f"member:{member}", f"kind:{kind}"]


# --- resumption tokens ---------------------------------------------------------------------


@dataclass(frozen=True)
class ListCursor:
    """Where a list request stands: its arguments and the last ``(updated_at, _id)`` sent."""

    verb: Verb
    metadata_prefix: str
    from_: str | None
    until: str | None
    set_spec: str | None
    last_updated_at: datetime
    last_id: str
    sent: int
    issued_at: datetime
    window_seconds: float = 0.0  # the datestamp span the next page should scan first


class TokenCodec:
    """Self-contained, HMAC-checked tokens: they survive restarts and need no storage."""

    def __init__(self, key: bytes, ttl: timedelta) -> None:
        self._key = key
        self.ttl = ttl

    def encode(self, cursor: ListCursor) -> str:
        body = orjson.dumps(
            {
                "v": cursor.verb.value,
                "p": cursor.metadata_prefix,
                "f": cursor.from_,
                "u": cursor.until,
                "s": cursor.set_spec,
                "t": cursor.last_updated_at.astimezone(UTC).isoformat(),
                "i": cursor.last_id,
                "n": cursor.sent,
                "at": int(cursor.issued_at.timestamp()),
                "w": cursor.window_seconds,
            }
        )
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def decode(self, token: str, verb: Verb, now: datetime) -> ListCursor:
        """The cursor inside ``token``; badResumptionToken if forged, foreign or expired."""
        payload, _, signature = token.partition(".")
        expected = self._sign(payload).encode()
        if not payload or not hmac.compare_digest(signature.encode("utf-8", "replace"), expected):
            raise _bad_token()
        try:
            data = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            cursor = ListCursor(
                verb=Verb(data["v"]),
                metadata_prefix=str(data["p"]),
                from_=data["f"],
                until=data["u"],
                set_spec=data["s"],
                last_updated_at=datetime.fromisoformat(data["t"]),
                last_id=str(data["i"]),
                sent=int(data["n"]),
                issued_at=datetime.fromtimestamp(int(data["at"]), UTC),
                window_seconds=float(data.get("w", 0.0)),
            )
        except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise _bad_token() from None
        if cursor.verb is not verb or now - cursor.issued_at > self.ttl:
            raise _bad_token()
        return cursor

    def expires(self, issued_at: datetime) -> datetime:
        return issued_at + self.ttl

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:24]


def _bad_token() -> OaiError:
    return OaiError(
        ErrorCode.BAD_RESUMPTION_TOKEN, "The resumptionToken is invalid or has expired."
    )
