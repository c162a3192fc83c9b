"""OAI-PMH 2.0 provider of the union catalogue (issue 7). Wired by the catalogue's bootstrap."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from pymongo.asynchronous.database import AsyncDatabase

from shared.config import Settings


def build_oai_router(*, settings: Settings, get_db: Callable[[], AsyncDatabase]) -> APIRouter:
    """The ``GET /oai`` endpoint (not yet implemented: the router is empty)."""
    return APIRouter()
