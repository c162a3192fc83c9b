"""The MongoDB client factory: one AsyncMongoClient per process, majority writes
(docs/operators/reliability.md)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from shared.config import Settings

Document = dict[str, Any]  # what the services read and write: plain BSON documents


def make_mongo_client(settings: Settings) -> AsyncMongoClient[Document]:
    """A client with retryable writes and majority write concern; opens lazily."""
    return AsyncMongoClient(
        settings.mongo_uri,
        retryWrites=True,
        w="majority",
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        appname="stinet",
    )


def service_database(
    client: AsyncMongoClient[Document], settings: Settings
) -> AsyncDatabase[Document]:
    """The database; each service owns the collections prefixed with its own name."""
    return client.get_database(
        settings.stinet_db,
        write_concern=WriteConcern("majority"),
        read_concern=ReadConcern("majority"),
    )
