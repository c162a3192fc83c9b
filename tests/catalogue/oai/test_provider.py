"""The provider's responses, element by element, against OAI-PMH 2.0 (openarchives.org spec).

The router is mounted in a small FastAPI app over a ``catalogue_records`` collection filled
here in a real SecantusDB; every verb and every error condition is checked.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from lxml import etree
from pymongo import AsyncMongoClient

from services.catalogue.adapters import feed
from services.catalogue.adapters.oai_store import MongoOaiRecords
from services.catalogue.bootstrap import oai_provider
from services.catalogue.oai.config import OaiSettings
from shared.config import Settings
from shared.mongo import make_mongo_client, service_database
from shared.records import RecordIn, aware
from tests.catalogue.oai.helpers import catalogue_doc, plain_app

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "id": "http://www.openarchives.org/OAI/2.0/oai-identifier",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DOMAIN = "oai-test.stinet.vn"
BASE = "http://catalogue.test/oai"
PAGE = 7
T0 = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
DATESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KINDS = ["publication", "database", "website", "service", "training"]


def _records() -> list[dict[str, Any]]:
    docs = []
    for n in range(24):
        member = "hpu" if n % 3 else "vimaru"
        record = RecordIn(
            local_id=f"R-{n:03d}",
            kind=KINDS[n % 5],
            title=f"Tài liệu số {n} — Đại học Hàng hải",
            description="Mô tả <có ký tự đặc biệt> & dấu" if n == 1 else None,
            creators=["Nguyễn Văn A", "Trần Thị B"] if n % 2 else [],
            subjects=["Hàng hải", "Logistics"],
            publisher="NXB Hải Phòng",
            language="vi" if n % 4 else "en",
            year=2000 + n,
            date=dt.date(2000 + n, 5, 17) if n % 5 == 0 else None,
            url=f"https://repo.example.vn/handle/123/{n}",
            identifiers={"doi": f"10.1234/abc.{n}", "isbn": "978-604-0-00000-1"} if n == 2 else {},
        )
        status = "withdrawn" if n in (4, 11) else "active"
        # Two records share a datestamp second (ties broken by _id in the cursor).
        when = T0 + timedelta(hours=n) if n != 9 else T0 + timedelta(hours=8, microseconds=5)
        if 12 <= n <= 16:  # one batch, one instant, across a page boundary (ties by _id)
            when = T0 + timedelta(hours=12)
        docs.append(catalogue_doc(member, record, updated_at=when, status=status))
    return docs


@pytest.fixture(scope="module")
async def oai_env(mongo_url: str) -> AsyncIterator[dict[str, Any]]:
    name = f"oai_{uuid.uuid4().hex[:10]}"
    settings = Settings(mongo_url=mongo_url, stinet_db=name, stinet_key_pepper="pepper-1")
    client = make_mongo_client(settings)
    db = service_database(client, settings)
    docs = _records()
    await db["catalogue_records"].insert_many(docs)
    await db["catalogue_members"].insert_one(
        {"_id": "hpu", "code": "hpu", "name": "Trường Đại học Hải Phòng"}
    )
    yield {"settings": settings, "db": db, "docs": docs}
    await client.drop_database(name)
    await client.close()


def _client(env: dict[str, Any], **overrides: Any) -> httpx2.AsyncClient:
    oai = OaiSettings(repository_domain=DOMAIN, base_url=BASE, page_size=PAGE, **overrides)
    provider = oai_provider(env["settings"], MongoOaiRecords(env["db"]), oai)
    transport = httpx2.ASGITransport(app=plain_app(provider))
    return httpx2.AsyncClient(transport=transport, base_url="http://catalogue.test")


async def _get(client: httpx2.AsyncClient, **params: Any) -> etree._Element:
    response = await client.get("/oai", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(response.content)
    _check_envelope(root)
    return root


def _check_envelope(root: etree._Element) -> None:
    """§3.2: root OAI-PMH in the OAI namespace, schemaLocation, responseDate, request."""
    assert root.tag == f"{OAI}OAI-PMH"
    location = root.get(f"{{{NS['xsi']}}}schemaLocation").split()
    assert location == [NS["o"], "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"]
    assert root[0].tag == f"{OAI}responseDate" and DATESTAMP.match(root[0].text)
    assert root[1].tag == f"{OAI}request" and root[1].text == BASE
    assert len(root) == 3 or all(child.tag == f"{OAI}error" for child in root[2:])


def _children(element: etree._Element) -> list[str]:
    return [etree.QName(child).localname for child in element]


@pytest.fixture(scope="module")
async def client(oai_env: dict[str, Any]) -> AsyncIterator[httpx2.AsyncClient]:
    async with _client(oai_env) as value:
        yield value


async def test_identify_lists_every_required_element_in_schema_order(
    client: httpx2.AsyncClient,
) -> None:
    root = await _get(client, verb="Identify")
    assert dict(root[1].attrib) == {"verb": "Identify"}
    body = root[2]
    assert body.tag == f"{OAI}Identify"
    assert _children(body) == [
        "repositoryName", "baseURL", "protocolVersion", "adminEmail",
        "earliestDatestamp", "deletedRecord", "granularity", "description",
    ]  # fmt: skip
    text = {etree.QName(child).localname: child.text for child in body}
    assert text["baseURL"] == BASE
    assert text["protocolVersion"] == "2.0"
    assert text["earliestDatestamp"] == "2025-03-01T08:00:00Z"
    assert text["deletedRecord"] == "persistent"
    assert text["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    ident = body.find("o:description/id:oai-identifier", NS)
    assert [child.text for child in ident] == ["oai", DOMAIN, ":", f"oai:{DOMAIN}:hpu:TV-2024-001"]


async def test_list_metadata_formats_offers_oai_dc_for_the_repository_and_a_record(
    client: httpx2.AsyncClient,
) -> None:
    for params in ({}, {"identifier": f"oai:{DOMAIN}:hpu:R-001"}):
        root = await _get(client, verb="ListMetadataFormats", **params)
        formats = root.findall("o:ListMetadataFormats/o:metadataFormat", NS)
        assert [_children(f) for f in formats] == [
            ["metadataPrefix", "schema", "metadataNamespace"]
        ]
        assert [child.text for child in formats[0]] == [
            "oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", NS["oai_dc"],
        ]  # fmt: skip


async def test_list_sets_has_members_and_kinds(client: httpx2.AsyncClient) -> None:
    root = await _get(client, verb="ListSets")
    sets = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in root.findall("o:ListSets/o:set", NS)
    }
    assert sets["member:hpu"] == "Trường Đại học Hải Phòng"  # from catalogue_members
    assert "member:vimaru" in sets  # a member known only from its records
    assert {"member", "kind"} <= set(sets)
    assert {f"kind:{k}" for k in KINDS} <= set(sets)


async def _harvest(client: httpx2.AsyncClient, verb: str, **params: Any) -> list[etree._Element]:
    """Every item of a list request, following resumption tokens; checks each token."""
    items: list[etree._Element] = []
    root = await _get(client, verb=verb, **params)
    sent = 0
    while True:
        body = root[2]
        assert body.tag == f"{OAI}{verb}", etree.tostring(root)
        page = [c for c in body if c.tag != f"{OAI}resumptionToken"]
        items += page
        token = body.find("o:resumptionToken", NS)
        if token is None:
            assert sent == 0  # an unsplit list carries no token at all
            return items
        assert body[-1] is token  # the token comes last
        assert token.get("cursor") == str(sent)
        sent += len(page)
        if not token.text:
            assert token.get("expirationDate") is None
            return items
        assert len(page) == PAGE and DATESTAMP.match(token.get("expirationDate"))
        root = await _get(client, verb=verb, resumptionToken=token.text)
        assert dict(root[1].attrib) == {"verb": verb, "resumptionToken": token.text}


async def test_list_records_pages_through_everything_in_datestamp_order(
    client: httpx2.AsyncClient, oai_env: dict[str, Any]
) -> None:
    records = await _harvest(client, "ListRecords", metadataPrefix="oai_dc")
    docs = oai_env["docs"]
    assert len(records) == len(docs)
    identifiers = [r.findtext("o:header/o:identifier", namespaces=NS) for r in records]
    expected = sorted(docs, key=lambda d: (d["updated_at"], d["_id"]))
    assert identifiers == [f"oai:{DOMAIN}:{d['_id']}" for d in expected]
    for record, doc in zip(records, expected, strict=True):
        header = record.find("o:header", NS)
        assert _children(header)[:2] == ["identifier", "datestamp"]
        assert header.findtext("o:datestamp", namespaces=NS) == doc["updated_at"].strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        specs = [s.text for s in header.findall("o:setSpec", NS)]
        assert specs == [f"member:{doc['member']}", f"kind:{doc['kind']}"]
        if doc["status"] == "withdrawn":
            assert header.get("status") == "deleted"
            assert _children(record) == ["header"]  # no metadata for a deleted record
        else:
            assert header.get("status") is None
            assert _children(record) == ["header", "metadata"]


async def test_oai_dc_carries_the_record_fields(client: httpx2.AsyncClient) -> None:
    root = await _get(
        client, verb="GetRecord", identifier=f"oai:{DOMAIN}:vimaru:R-000", metadataPrefix="oai_dc"
    )
    assert dict(root[1].attrib) == {
        "verb": "GetRecord", "identifier": f"oai:{DOMAIN}:vimaru:R-000", "metadataPrefix": "oai_dc",
    }  # fmt: skip
    dc = root.find("o:GetRecord/o:record/o:metadata/oai_dc:dc", NS)
    assert dc.get(f"{{{NS['xsi']}}}schemaLocation").split() == [
        NS["oai_dc"], "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
    ]  # fmt: skip
    values = [(etree.QName(c).localname, c.text) for c in dc]
    assert all(etree.QName(c).namespace == NS["dc"] for c in dc)
    assert values == [
        ("title", "Tài liệu số 0 — Đại học Hàng hải"),
        ("subject", "Hàng hải"),
        ("subject", "Logistics"),
        ("publisher", "NXB Hải Phòng"),
        ("date", "2000-05-17"),
        ("type", "Text"),
        ("type", "stinet:publication"),
        ("identifier", "https://repo.example.vn/handle/123/0"),
        ("language", "en"),
    ]
    root = await _get(
        client, verb="GetRecord", identifier=f"oai:{DOMAIN}:hpu:R-002", metadataPrefix="oai_dc"
    )
    dc = root.find("o:GetRecord/o:record/o:metadata/oai_dc:dc", NS)
    assert [c.text for c in dc.findall("dc:identifier", NS)] == [
        "https://repo.example.vn/handle/123/2", "doi:10.1234/abc.2", "urn:isbn:978-604-0-00000-1",
    ]  # fmt: skip
    assert [c.text for c in dc.findall("dc:creator", NS)] == []
    assert dc.findtext("dc:date", namespaces=NS) == "2002"


async def test_get_record_of_a_withdrawn_record_is_a_deleted_header(
    client: httpx2.AsyncClient,
) -> None:
    root = await _get(
        client, verb="GetRecord", identifier=f"oai:{DOMAIN}:hpu:R-004", metadataPrefix="oai_dc"
    )
    record = root.find("o:GetRecord/o:record", NS)
    assert _children(record) == ["header"]
    assert record.find("o:header", NS).get("status") == "deleted"


async def test_list_identifiers_honours_set_from_and_until(
    client: httpx2.AsyncClient, oai_env: dict[str, Any]
) -> None:
    headers = await _harvest(
        client,
        "ListIdentifiers",
        metadataPrefix="oai_dc",
        set="member:hpu",
        **{"from": "2025-03-01T10:00:00Z", "until": "2025-03-01T20:00:00Z"},
    )
    lo, hi = T0 + timedelta(hours=2), T0 + timedelta(hours=12, seconds=1)
    expected = [d for d in oai_env["docs"] if d["member"] == "hpu" and lo <= d["updated_at"] < hi]
    assert all(h.tag == f"{OAI}header" for h in headers)
    got = [h.findtext("o:identifier", namespaces=NS) for h in headers]
    assert sorted(got) == sorted(f"oai:{DOMAIN}:{d['_id']}" for d in expected)
    kind = await _harvest(client, "ListIdentifiers", metadataPrefix="oai_dc", set="kind:database")
    assert len(kind) == sum(d["kind"] == "database" for d in oai_env["docs"])
    day = await _harvest(
        client,
        "ListIdentifiers",
        metadataPrefix="oai_dc",
        **{"from": "2025-03-02", "until": "2025-03-02"},
    )
    assert len(day) == sum(d["updated_at"].date() == dt.date(2025, 3, 2) for d in oai_env["docs"])


async def test_resumption_token_survives_a_restart(oai_env: dict[str, Any]) -> None:
    async with _client(oai_env) as first:
        root = await _get(first, verb="ListIdentifiers", metadataPrefix="oai_dc")
        token = root.findtext("o:ListIdentifiers/o:resumptionToken", namespaces=NS)
    async with _client(oai_env) as second:  # a new router: nothing kept in memory
        root = await _get(second, verb="ListIdentifiers", resumptionToken=token)
    assert len(root.findall("o:ListIdentifiers/o:header", NS)) == PAGE


async def test_post_requests_are_answered_like_get(client: httpx2.AsyncClient) -> None:
    response = await client.post("/oai", data={"verb": "Identify"})
    root = etree.fromstring(response.content)
    assert root.find("o:Identify/o:protocolVersion", NS).text == "2.0"


ERRORS: list[tuple[str, dict[str, Any] | list[tuple[str, str]]]] = [
    ("badVerb", {}),
    ("badVerb", {"verb": "ListThings"}),
    ("badVerb", [("verb", "Identify"), ("verb", "ListSets")]),
    ("badArgument", {"verb": "Identify", "extra": "1"}),
    ("badArgument", {"verb": "ListRecords"}),
    ("badArgument", {"verb": "GetRecord", "metadataPrefix": "oai_dc"}),
    (
        "badArgument",
        [("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("set", "a"), ("set", "b")],
    ),
    ("badArgument", {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}),
    ("badArgument", {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-13-01"}),
    (
        "badArgument",
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2025-03-01T10:00Z"},
    ),
    (
        "badArgument",
        {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "from": "2025-03-01",
            "until": "2025-03-02T00:00:00Z",
        },
    ),
    (
        "badArgument",
        {
            "verb": "ListRecords",
            "metadataPrefix": "oai_dc",
            "from": "2025-03-05",
            "until": "2025-03-01",
        },
    ),
    ("badArgument", {"verb": "ListRecords", "metadataPrefix": ""}),
    ("badResumptionToken", {"verb": "ListRecords", "resumptionToken": "garbage"}),
    ("badResumptionToken", {"verb": "ListIdentifiers", "resumptionToken": "eyJ2IjoxfQ.0000"}),
    ("badResumptionToken", {"verb": "ListSets", "resumptionToken": "anything"}),
    ("badResumptionToken", {"verb": "ListRecords", "resumptionToken": "eyJ2IjoxfQ.é€"}),
    ("cannotDisseminateFormat", {"verb": "ListRecords", "metadataPrefix": "marc21"}),
    (
        "cannotDisseminateFormat",
        {"verb": "GetRecord", "metadataPrefix": "mods", "identifier": f"oai:{DOMAIN}:hpu:R-001"},
    ),
    (
        "idDoesNotExist",
        {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:{DOMAIN}:hpu:NOPE"},
    ),
    (
        "idDoesNotExist",
        {
            "verb": "GetRecord",
            "metadataPrefix": "oai_dc",
            "identifier": "oai:elsewhere.org:hpu:R-001",
        },
    ),
    ("idDoesNotExist", {"verb": "ListMetadataFormats", "identifier": "not-an-oai-id"}),
    ("noRecordsMatch", {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "member:nobody"}),
    (
        "noRecordsMatch",
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "2030-01-01"},
    ),
    (
        "noRecordsMatch",
        {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "colour:blue"},
    ),
]


@pytest.mark.parametrize(("code", "params"), ERRORS)
async def test_every_error_condition(
    client: httpx2.AsyncClient, code: str, params: dict[str, Any] | list[tuple[str, str]]
) -> None:
    root = await _get(client, **{}) if params == {} else await _raw(client, params)
    errors = root.findall("o:error", NS)
    assert [e.get("code") for e in errors] == [code]
    assert errors[0].text
    request = root[1]
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # §3.6: no attributes on these errors
    else:
        assert dict(request.attrib) == dict(params)


async def _raw(client: httpx2.AsyncClient, params: Any) -> etree._Element:
    response = await client.get("/oai", params=params)
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    _check_envelope(root)
    return root


async def test_arguments_xml_cannot_carry_are_dropped_from_the_echo(
    client: httpx2.AsyncClient,
) -> None:
    root = await _raw(client, [("verb", "ListRecords"), ("metadataPrefix", "marc\x00\x01")])
    assert root.find("o:error", NS).get("code") == "cannotDisseminateFormat"
    assert root[1].get("metadataPrefix") == "marc"


async def test_a_tampered_or_foreign_token_is_refused(client: httpx2.AsyncClient) -> None:
    root = await _get(client, verb="ListRecords", metadataPrefix="oai_dc")
    token = root.findtext("o:ListRecords/o:resumptionToken", namespaces=NS)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    for verb, value in (("ListRecords", tampered), ("ListIdentifiers", token)):
        root = await _get(client, verb=verb, resumptionToken=value)
        assert root.find("o:error", NS).get("code") == "badResumptionToken"


async def test_no_set_hierarchy_when_sets_are_switched_off(oai_env: dict[str, Any]) -> None:
    async with _client(oai_env, sets_enabled=False) as client:
        root = await _get(client, verb="ListSets")
        assert root.find("o:error", NS).get("code") == "noSetHierarchy"
        root = await _get(
            client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:service"
        )
        assert root.find("o:error", NS).get("code") == "noSetHierarchy"


async def test_arbitrary_requests_always_get_a_well_formed_oai_answer(
    client: httpx2.AsyncClient,
) -> None:
    """Random (seeded) argument soups: HTTP 200, the envelope, a body or errors, never a 500."""
    rng = random.Random(7)
    keys = ["verb", "metadataPrefix", "from", "until", "set", "identifier", "resumptionToken", "x"]
    values = [
        "ListRecords", "ListIdentifiers", "GetRecord", "Identify", "ListSets", "oai_dc", "",
        "2025-03-01", "2025-03-01T10:00:00Z", "member:hpu", "kind:database", "é€\u0000",
        f"oai:{DOMAIN}:hpu:R-001", "a" * 3000, "9999-99-99", "member:", "..", "%00",
    ]  # fmt: skip
    for _ in range(150):
        params = [(rng.choice(keys), rng.choice(values)) for _ in range(rng.randint(0, 5))]
        root = await _raw(client, params)
        assert len(root) == 3, etree.tostring(root)[:300]
        assert root[2].tag == f"{OAI}error" or root[2].tag.endswith(
            ("Identify", "ListSets", "ListRecords", "ListIdentifiers", "GetRecord",
             "ListMetadataFormats")
        )  # fmt: skip


async def test_an_unreachable_store_is_a_503_with_retry_after(oai_env: dict[str, Any]) -> None:
    settings = Settings(mongo_url="mongodb://127.0.0.1:9/", stinet_db="nowhere")
    client = AsyncMongoClient(settings.mongo_uri, serverSelectionTimeoutMS=200)
    oai = OaiSettings(repository_domain=DOMAIN, base_url=BASE)
    provider = oai_provider(settings, MongoOaiRecords(client[settings.stinet_db]), oai)
    transport = httpx2.ASGITransport(app=plain_app(provider))
    async with httpx2.AsyncClient(transport=transport, base_url="http://c") as http:
        response = await http.get("/oai", params={"verb": "Identify"})
    await client.close()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "60"


async def test_the_datestamp_indexes_of_earlier_versions_are_dropped(
    oai_env: dict[str, Any],
) -> None:
    """Every secondary index on the records is paid by each catalogue insert; the provider
    reads the change feed instead (records stored before it existed are entered at start:
    this module's records were inserted directly)."""
    records = oai_env["db"]["catalogue_records"]
    await records.create_index([("updated_at", 1), ("_id", 1)])
    for field in ("member", "kind"):
        await records.create_index([(field, 1), ("updated_at", 1), ("_id", 1)])
    await MongoOaiRecords(oai_env["db"]).prepare()
    assert set(await records.index_information()) == {"_id_"}


async def test_a_record_written_again_is_listed_once_at_its_new_datestamp(
    oai_env: dict[str, Any],
) -> None:
    db = oai_env["db"]
    earlier, later = T0 + timedelta(days=30), T0 + timedelta(days=40)
    doc = catalogue_doc(
        "hpu", RecordIn(local_id="again", kind="website", title="Ghi lại"), updated_at=later
    )
    await feed.append(db, [(doc["_id"], earlier), (doc["_id"], later), (doc["_id"], later)])
    await db["catalogue_records"].insert_one(doc)
    try:
        store = MongoOaiRecords(db)
        listed, _ = await store.page(
            base={}, start=earlier, end=None, after=None, limit=10, headers_only=True,
            window=timedelta(hours=1), now=later,
        )  # fmt: skip
        assert [(d["_id"], aware(d["updated_at"])) for d in listed] == [("hpu:again", later)]
    finally:
        await db["catalogue_records"].delete_one({"_id": doc["_id"]})
        await db["catalogue_feed"].delete_many({"ids": doc["_id"]})
