"""The public face: portal page, record page, widget, embed, OpenSearch, visit counters."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from pymongo.asynchronous.database import AsyncDatabase

from services.search.ports import SearchIndex
from shared.config import Settings


def build_web_router(
    *,
    settings: Settings,
    get_index: Callable[[], SearchIndex],
    get_db: Callable[[], AsyncDatabase],
) -> APIRouter:
    """Routes for people (not yet implemented: the router is empty)."""
    return APIRouter()
