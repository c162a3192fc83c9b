"""The provider's use cases: one OAI-PMH request in, one response document out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from lxml import etree

from services.catalogue.oai import render
from services.catalogue.oai.domain import (
    METADATA_FORMATS,
    ErrorCode,
    ListCursor,
    OaiError,
    OaiRequest,
    TokenCodec,
    Verb,
    date_range,
    record_id_of,
    set_filter,
)
from services.catalogue.ports import OaiRecords
from shared.records import Kind, aware

log = structlog.get_logger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
DEFAULT_WINDOW = timedelta(hours=1)
KIND_NAMES = {
    "database": "Cơ sở dữ liệu (databases)",
    "publication": "Ấn phẩm (publications)",
    "website": "Website, cổng thông tin (websites)",
    "service": "Dịch vụ thông tin (information services)",
    "training": "Đào tạo, tập huấn (training events)",
}


class OaiProvider:
    """Answers the six verbs over the ``OaiRecords`` port."""

    def __init__(
        self,
        *,
        store: OaiRecords,
        info: render.RepositoryInfo,
        tokens: TokenCodec,
        page_size: int,
        sets_enabled: bool,
    ) -> None:
        self.store = store
        self.info = info
        self.tokens = tokens
        self.page_size = page_size
        self.sets_enabled = sets_enabled

    async def respond(self, request: OaiRequest, now: datetime) -> etree._Element:
        """The response document (an OAI error is raised as ``OaiError``)."""
        await self.store.prepare()
        root = render.envelope(self.info.base_url, now, {"verb": request.verb, **request.args})
        handler = {
            Verb.IDENTIFY: self._identify,
            Verb.LIST_METADATA_FORMATS: self._list_metadata_formats,
            Verb.LIST_SETS: self._list_sets,
            Verb.LIST_IDENTIFIERS: self._list,
            Verb.LIST_RECORDS: self._list,
            Verb.GET_RECORD: self._get_record,
        }[request.verb]
        await handler(root, request, now)
        return root

    async def _identify(self, root: etree._Element, _: OaiRequest, __: datetime) -> None:
        render.identify(root, self.info, await self.store.earliest() or EPOCH)

    async def _list_metadata_formats(
        self, root: etree._Element, request: OaiRequest, _: datetime
    ) -> None:
        if "identifier" in request.args:
            await self._record_or_error(request.args["identifier"])
        render.metadata_formats(root, METADATA_FORMATS)

    async def _list_sets(self, root: etree._Element, request: OaiRequest, _: datetime) -> None:
        if not self.sets_enabled:
            raise OaiError(ErrorCode.NO_SET_HIERARCHY, "This repository does not support sets.")
        if "resumptionToken" in request.args:
            # The whole set list always fits one response: we never issue a ListSets token.
            raise OaiError(ErrorCode.BAD_RESUMPTION_TOKEN, "No ListSets resumptionToken exists.")
        sets = [("member", "Thành viên (members)")]
        sets += [(f"member:{code}", name) for code, name in await self.store.members()]
        sets.append(("kind", "Loại tài nguyên (kinds)"))
        sets += [(f"kind:{kind.value}", KIND_NAMES[kind.value]) for kind in Kind]
        render.list_sets(root, sets)

    async def _get_record(self, root: etree._Element, request: OaiRequest, _: datetime) -> None:
        _check_prefix(request.args["metadataPrefix"])
        doc = await self._record_or_error(request.args["identifier"])
        render.record(render.sub(root, f"{{{render.OAI_NS}}}GetRecord"), self.info.domain, doc)

    async def _record_or_error(self, identifier: str) -> dict[str, Any]:
        record_id = record_id_of(self.info.domain, identifier)
        doc = await self.store.get(record_id) if record_id else None
        if doc is None:
            raise OaiError(ErrorCode.ID_DOES_NOT_EXIST, f"No record has identifier {identifier}.")
        return doc

    async def _list(self, root: etree._Element, request: OaiRequest, now: datetime) -> None:
        cursor = self._cursor_of(request, now)
        base, start, end = self._filter(cursor)
        after = (cursor.last_updated_at, cursor.last_id) if cursor.last_id else None
        headers_only = request.verb is Verb.LIST_IDENTIFIERS
        docs, window = await self.store.page(
            base=base,
            start=start,
            end=end,
            after=after,
            limit=self.page_size + 1,
            headers_only=headers_only,
            window=timedelta(seconds=cursor.window_seconds) or DEFAULT_WINDOW,
            now=now,
        )
        if not docs:
            raise OaiError(ErrorCode.NO_RECORDS_MATCH, "No records match the request.")
        more, docs = len(docs) > self.page_size, docs[: self.page_size]
        body = render.sub(root, f"{{{render.OAI_NS}}}{request.verb.value}")
        for doc in docs:
            if headers_only:
                render.header(body, self.info.domain, doc)
            else:
                render.record(body, self.info.domain, doc)
        if more or after is not None:
            self._continue(body, cursor, docs[-1], more, now, window)

    def _continue(
        self,
        body: etree._Element,
        cursor: ListCursor,
        last: dict[str, Any],
        more: bool,
        now: datetime,
        window: timedelta,
    ) -> None:
        if not more:
            render.resumption_token(body, None, cursor.sent, None)
            return
        following = ListCursor(
            verb=cursor.verb,
            metadata_prefix=cursor.metadata_prefix,
            from_=cursor.from_,
            until=cursor.until,
            set_spec=cursor.set_spec,
            last_updated_at=aware(last["updated_at"]),
            last_id=str(last["_id"]),
            sent=cursor.sent + self.page_size,
            issued_at=now,
            window_seconds=window.total_seconds(),
        )
        render.resumption_token(
            body, self.tokens.encode(following), cursor.sent, self.tokens.expires(now)
        )

    def _cursor_of(self, request: OaiRequest, now: datetime) -> ListCursor:
        token = request.args.get("resumptionToken")
        if token is not None:
            return self.tokens.decode(token, request.verb, now)
        _check_prefix(request.args["metadataPrefix"])
        cursor = ListCursor(
            verb=request.verb,
            metadata_prefix=request.args["metadataPrefix"],
            from_=request.args.get("from"),
            until=request.args.get("until"),
            set_spec=request.args.get("set"),
            last_updated_at=EPOCH,
            last_id="",
            sent=0,
            issued_at=now,
        )
        self._filter(cursor)  # argument errors before any query
        return cursor

    def _filter(
        self, cursor: ListCursor
    ) -> tuple[dict[str, Any], datetime | None, datetime | None]:
        """The set's filter and the ``[start, end)`` datestamp range of a list request."""
        start, end = date_range(cursor.from_, cursor.until)
        query: dict[str, Any] = {}
        if cursor.set_spec is not None:
            if not self.sets_enabled:
                raise OaiError(ErrorCode.NO_SET_HIERARCHY, "This repository does not support sets.")
            in_set = set_filter(cursor.set_spec)
            if in_set is None:
                raise OaiError(ErrorCode.NO_RECORDS_MATCH, f"No set {cursor.set_spec} here.")
            query.update(in_set)
        return query, start, end


def _check_prefix(prefix: str) -> None:
    if prefix not in METADATA_FORMATS:
        raise OaiError(
            ErrorCode.CANNOT_DISSEMINATE_FORMAT, f"Metadata format {prefix} is not supported."
        )
