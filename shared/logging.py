"""structlog set-up: JSON lines when not on a TTY, key/values with the correlation id."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog

_SECRET_KEYS = frozenset({"password", "authorization", "api_key", "key", "secret", "token"})


def _redact_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for name in _SECRET_KEYS.intersection(event):
        event[name] = "***"
    return event


def configure_logging(service: str, level: str = "INFO") -> None:
    """Configure structlog and route stdlib logging (uvicorn, faststream) through it."""
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    renderer: Any
    if sys.stderr.isatty():
        renderer = structlog.dev.ConsoleRenderer()
    else:
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
    structlog.configure(
        processors=[*shared_processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer)
        if not sys.stderr.isatty()
        else structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=renderer if sys.stderr.isatty() else _stdlib_json_renderer,
            foreign_pre_chain=shared_processors,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiormq", "aio_pika", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _stdlib_json_renderer(_: Any, __: str, event: MutableMapping[str, Any]) -> str:
    return orjson.dumps(event, default=str).decode()


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
