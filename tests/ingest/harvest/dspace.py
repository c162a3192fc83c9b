"""A local OAI-PMH 2.0 endpoint serving DSpace-shaped pages, with faults on demand.

Pages look like DSpace 6/7's (``oai:<host>:123456789/<n>`` identifiers, handle URLs, the
three dc:date values of accessioned/available/issued, ``com_``/``col_`` setSpecs).
Faults: a 503 with Retry-After, a broken (truncated) page, an OAI error page, a slow page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOST = "repo.hpu.edu.vn"


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Item:
    """One repository item (``deleted`` → a header with status="deleted")."""

    n: int
    datestamp: str
    title: str | None = "Nghiên cứu"
    deleted: bool = False
    dc_type: str = "Article"
    creators: list[str] = field(default_factory=lambda: ["Nguyễn Văn An"])
    subjects: list[str] = field(default_factory=lambda: ["Kinh tế biển"])
    language: str = "vi"
    issued: str = "2019"
    extra_identifiers: list[str] = field(default_factory=list)

    @property
    def identifier(self) -> str:
        return f"oai:{HOST}:123456789/{self.n}"


@dataclass
class Faults:
    """Fault plans keyed by page number (0-based): how many more times to misbehave."""

    unavailable: dict[int, int] = field(default_factory=dict)  # 503 + Retry-After
    broken: dict[int, int] = field(default_factory=dict)  # truncated XML
    oai_error: dict[int, str] = field(default_factory=dict)  # <error code=...> (persistent)
    slow_seconds: float = 0.0
    retry_after: str = "1"


@dataclass
class DSpace:
    items: list[Item]
    page_size: int = 3
    formats: tuple[str, ...] = ("oai_dc", "marcxml")
    faults: Faults = field(default_factory=Faults)
    requests: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/server/oai/request", self.handle)])

    async def handle(self, request: Request) -> Response:
        args = dict(request.query_params)
        self.requests.append(args)
        verb = args.get("verb")
        if verb == "Identify":
            return _xml(self._identify(args))
        if verb == "ListMetadataFormats":
            return _xml(self._formats(args))
        if verb == "ListRecords":
            return await self._list_records(args)
        return _xml(_envelope(args, '<error code="badVerb">Illegal verb</error>'))

    def _identify(self, args: dict[str, str]) -> str:
        return _envelope(
            args,
            "<Identify><repositoryName>DSpace ĐH Hải Phòng</repositoryName>"
            f"<baseURL>http://{HOST}/server/oai/request</baseURL>"
            "<protocolVersion>2.0</protocolVersion><adminEmail>thuvien@hpu.edu.vn</adminEmail>"
            "<earliestDatestamp>2015-01-01T00:00:00Z</earliestDatestamp>"
            "<deletedRecord>persistent</deletedRecord>"
            "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify>",
        )

    def _formats(self, args: dict[str, str]) -> str:
        known = {
            "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", DC_NS_OAI),
            "marcxml": ("http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd", MARC_NS),
        }
        body = "".join(
            f"<metadataFormat><metadataPrefix>{p}</metadataPrefix><schema>{known[p][0]}</schema>"
            f"<metadataNamespace>{known[p][1]}</metadataNamespace></metadataFormat>"
            for p in self.formats
        )
        return _envelope(args, f"<ListMetadataFormats>{body}</ListMetadataFormats>")

    async def _list_records(self, args: dict[str, str]) -> Response:
        token = args.get("resumptionToken")
        if token:  # DSpace-like token: "<prefix>/<from>///<offset>"
            prefix, from_, _, _, offset = token.split("/")
            page_no = int(offset) // self.page_size
        else:
            prefix, from_, page_no = args.get("metadataPrefix", ""), args.get("from", ""), 0
        if prefix not in self.formats:
            return _xml(_envelope(args, '<error code="cannotDisseminateFormat">no</error>'))
        fault = self._fault(page_no)
        if fault is not None:
            return fault
        if self.faults.slow_seconds:
            await asyncio.sleep(self.faults.slow_seconds)
        matching = [i for i in self.items if not from_ or i.datestamp >= from_]
        if not matching:
            return _xml(_envelope(args, '<error code="noRecordsMatch">none</error>'))
        start = page_no * self.page_size
        page = matching[start : start + self.page_size]
        records = "".join(_record(item, prefix) for item in page)
        end = start + self.page_size
        if end < len(matching) or token:
            next_token = f"{prefix}/{from_}///{end}" if end < len(matching) else ""
            records += (
                f'<resumptionToken completeListSize="{len(matching)}" cursor="{start}">'
                f"{escape(next_token)}</resumptionToken>"
            )
        return _xml(_envelope(args, f"<ListRecords>{records}</ListRecords>"))

    def _fault(self, page_no: int) -> Response | None:
        faults = self.faults
        if faults.unavailable.get(page_no, 0) > 0:
            faults.unavailable[page_no] -= 1
            return Response("busy", status_code=503, headers={"Retry-After": faults.retry_after})
        if faults.broken.get(page_no, 0) > 0:
            faults.broken[page_no] -= 1
            return Response(
                b"<?xml version='1.0'?><OAI-PMH><ListRecords><record><hea",
                media_type="text/xml",
            )
        if page_no in faults.oai_error:
            code = faults.oai_error[page_no]
            return _xml(_envelope({}, f'<error code="{code}">The token has expired</error>'))
        return None


OAI_NS = "http://www.openarchives.org/OAI/2.0/"
DC_NS_OAI = "http://www.openarchives.org/OAI/2.0/oai_dc/"
MARC_NS = "http://www.loc.gov/MARC21/slim"


def _xml(body: str) -> Response:
    return Response(body.encode(), media_type="text/xml; charset=UTF-8")


def _envelope(args: dict[str, Any], inner: str) -> str:
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in args.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
        f"<responseDate>{now_stamp()}</responseDate>"
        f"<request{attrs}>http://{HOST}/server/oai/request</request>{inner}</OAI-PMH>"
    )


def _record(item: Item, prefix: str) -> str:
    status = ' status="deleted"' if item.deleted else ""
    header = (
        f"<header{status}><identifier>{item.identifier}</identifier>"
        f"<datestamp>{item.datestamp}</datestamp>"
        "<setSpec>com_123456789_1</setSpec><setSpec>col_123456789_2</setSpec></header>"
    )
    if item.deleted:
        return f"<record>{header}</record>"
    metadata = _oai_dc(item) if prefix == "oai_dc" else _marcxml(item)
    return f"<record>{header}<metadata>{metadata}</metadata></record>"


def _dc(name: str, values: list[str]) -> str:
    return "".join(f"<dc:{name}>{escape(v)}</dc:{name}>" for v in values)


def _oai_dc(item: Item) -> str:
    return (
        f'<oai_dc:dc xmlns:oai_dc="{DC_NS_OAI}" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{DC_NS_OAI} http://www.openarchives.org/OAI/2.0/oai_dc.xsd">'
        + _dc("title", [f"{item.title} số {item.n}"] if item.title else [])
        + _dc("creator", item.creators)
        + _dc("subject", item.subjects)
        + _dc("description", [f"Tóm tắt của tài liệu {item.n}"])
        + _dc("date", [item.datestamp, item.datestamp, item.issued])
        + _dc("type", [item.dc_type])
        + _dc("identifier", [f"http://{HOST}/handle/123456789/{item.n}", *item.extra_identifiers])
        + _dc("language", [item.language])
        + _dc("publisher", ["Trường Đại học Hải Phòng"])
        + "</oai_dc:dc>"
    )


def _marcxml(item: Item) -> str:
    def datafield(tag: str, **subs: str) -> str:
        inner = "".join(f'<subfield code="{c}">{escape(v)}</subfield>' for c, v in subs.items())
        return f'<datafield tag="{tag}" ind1=" " ind2=" ">{inner}</datafield>'

    return (
        f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="008">190101s2019    vm            000 0 vie d</controlfield>'
        + datafield("020", a="9786040000017")
        + datafield("100", a="Nguyễn Văn An,")
        + datafield("245", a=f"{item.title} số {item.n} /", b="giáo trình")
        + datafield("260", a="Hải Phòng :", b="NXB Hàng hải,", c="2019.")
        + datafield("650", a="Kinh tế biển")
        + datafield("856", u=f"http://{HOST}/handle/123456789/{item.n}")
        + "</record>"
    )
