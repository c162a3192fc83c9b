"""The OAI-PMH 2.0 endpoint of the union catalogue (issue 7): parse, answer, serialise."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request, Response
from pymongo.errors import PyMongoError

from services.catalogue.entrypoints.dependencies import Provider
from services.catalogue.oai import render
from services.catalogue.oai.domain import OaiError, parse_request
from services.catalogue.oai.provider import OaiProvider
from shared.http import body_limit

log = structlog.get_logger(__name__)

XML_MEDIA_TYPE = "text/xml; charset=utf-8"
MAX_FORM_BYTES = 64 * 1024


# The ``GET /oai`` (and form ``POST /oai``) OAI-PMH 2.0 endpoint over the installed
# ``OaiPorts.provider``.
router = APIRouter(tags=["oai-pmh"])


async def answer(provider: OaiProvider, pairs: list[tuple[str, str]]) -> Response:
    """One OAI-PMH request's document (an OAI error is a 200 document too), or a 503."""
    now = datetime.now(UTC)
    try:
        request = parse_request(pairs)
        root = await provider.respond(request, now)
    except OaiError as error:
        log.info("oai_error", code=error.code.value)
        root = render.error_document(provider.info.base_url, now, error, dict(pairs))
    except PyMongoError as exc:  # the store is down: harvesters retry after a while
        log.warning("oai_store_unavailable", error=type(exc).__name__)
        return Response(
            "Service temporarily unavailable", status_code=503, headers={"Retry-After": "60"}
        )
    return Response(render.serialize(root), media_type=XML_MEDIA_TYPE)


@router.get("/oai", response_class=Response)
async def oai_get(request: Request, provider: Provider) -> Response:
    """OAI-PMH 2.0: the six verbs, oai_dc, sets of members and kinds, resumption tokens."""
    return await answer(provider, list(request.query_params.multi_items()))


@router.post("/oai", response_class=Response, openapi_extra=body_limit(MAX_FORM_BYTES))
async def oai_post(request: Request, provider: Provider) -> Response:
    """OAI-PMH 2.0 over POST (``application/x-www-form-urlencoded``), as §3.1.1.2 requires."""
    body = await request.body()
    pairs = parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True)
    return await answer(provider, pairs)
