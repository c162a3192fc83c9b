"""Settings: one set of environment variable names for every service (docs/operators/README.md
§2)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.amqp import broker_urls

SHIPPED_BROKER_PASSWORD = "change-me"


class Settings(BaseSettings):
    """Process configuration read from the environment.

    Unset ``MONGO_URL`` / ``MEILI_URL`` select the embedded defaults: a SecantusDB
    server started by the launcher, and the embedded search engine.
    """

    # hide_input_in_errors: a refused AMQP_URL or MONGO_URL must not print its password.
    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    amqp_url: SecretStr = Field(default=SecretStr("amqp://guest:guest@127.0.0.1:5672/"))

    @field_validator("amqp_url")
    @classmethod
    def _not_the_shipped_password(cls, url: SecretStr) -> SecretStr:
        # One URL or several (a cluster's nodes, comma-separated): each must be an AMQP URL.
        addresses = broker_urls(url.get_secret_value())
        # deploy/rabbitmq/definitions.json ships the hash of "change-me" as a placeholder.
        passwords = {urlsplit(address).password for address in addresses}
        if any(p is not None and unquote(p) == SHIPPED_BROKER_PASSWORD for p in passwords):
            raise ValueError(
                "AMQP_URL uses the shipped RabbitMQ password 'change-me': set a new password "
                "and its hash in deploy/rabbitmq/definitions.json (docs/operators/README.md §6)"
            )
        return url

    mongo_url: SecretStr | None = None
    # MONGO_URL is the embedded SecantusDB (the launcher that started it says so): stores
    # shaped around its slow secondary indexes (docs/operators/catalogue.md). Production
    # MongoDB leaves it false and gets the store's own indexes.
    mongo_embedded: bool = False
    meili_url: str | None = None
    meili_key: SecretStr | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "stinet@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    centre_email: str = "trungtam@localhost"
    stinet_admin_key: SecretStr | None = None
    stinet_key_pepper: SecretStr | None = None
    stinet_session_secret: SecretStr | None = None
    # The secret before the last rotation: its sessions stay valid until they expire.
    stinet_session_previous_secret: SecretStr | None = None
    stinet_session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    stinet_console_origins: str = ""
    stinet_data_dir: Path = Path(".data")
    stinet_db: str = "stinet"
    stinet_namespace: str = Field(default="stinet", pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    stinet_public_url: str = "http://127.0.0.1:8000"
    stinet_bind_host: str = "127.0.0.1"
    # Addresses whose X-Forwarded-For / -Proto uvicorn believes (the proxy in front, Caddy):
    # the client's address then counts for the wrong-credential limit, not the proxy's.
    stinet_trusted_proxies: str = "127.0.0.1"
    notify_public_url: str | None = None
    ingest_public_url: str | None = None
    catalogue_public_url: str | None = None
    stinet_delivery_limit: int = Field(default=5, ge=1, le=100)
    stinet_prefetch: int = Field(default=100, ge=1, le=1000)
    stinet_log_level: str = "INFO"
    ingest_port: int = 8001
    catalogue_port: int = 8002
    search_port: int = 8000
    notify_port: int = 8003
    notify_daily_at: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    notify_timezone: str = "Asia/Ho_Chi_Minh"
    notify_sweep_seconds: float = Field(default=30.0, gt=0)
    notify_lease_seconds: float = Field(default=300.0, gt=0)
    catalogue_url: str | None = None
    # Where notify calls search's public API (saved searches' digests); unset: the local port.
    search_url: str | None = None
    # Saved searches (issue 17): a digest waits this long after its period ends, so records
    # added just before the end are indexed; confirmation requests per e-mail address.
    notify_digest_lag_seconds: float = Field(default=900.0, ge=0, le=86_400)
    notify_subscribe_limit: str = "5/hour"
    # What people look for (issue 17): how long search's per-day query counts are kept
    # (13 months by default, a year plus its month for year-on-year comparison).
    search_analytics_retention_days: int = Field(default=396, ge=1, le=3660)
    harvest_allow_private_networks: bool = False
    webhook_allow_private_networks: bool = False
    ingest_rate_limit: str = "300/minute"
    # Requests per visitor address to the search service (portal, API, widget), counted per
    # process; empty: none. Requests from STINET_TRUSTED_PROXIES' own addresses are not counted.
    search_rate_limit: str = "600/minute"
    # The catalogue's link checker (services/catalogue/linkcheck, docs/thanh-vien/chat-luong.md).
    linkcheck_enabled: bool = True
    linkcheck_allow_private_networks: bool = False
    linkcheck_concurrency: int = Field(default=20, ge=1, le=1000)
    linkcheck_per_host_seconds: float = Field(default=1.0, ge=0.0)
    linkcheck_timeout_seconds: float = Field(default=10.0, gt=0)
    linkcheck_interval_days: float = Field(default=30.0, gt=0)
    linkcheck_retry_hours: float = Field(default=24.0, gt=0)
    linkcheck_sweep_seconds: float = Field(default=30.0, gt=0)
    linkcheck_lease_seconds: float = Field(default=300.0, gt=0)
    linkcheck_batch: int = Field(default=2000, ge=1, le=100_000)

    @property
    def mongo_uri(self) -> str:
        """The MongoDB URI; the embedded default listens on 127.0.0.1:27217."""
        if self.mongo_url is not None:
            return self.mongo_url.get_secret_value()
        return "mongodb://127.0.0.1:27217/"

    @property
    def admin_key(self) -> str | None:
        return self.stinet_admin_key.get_secret_value() if self.stinet_admin_key else None

    @property
    def catalogue_base_url(self) -> str:
        return self.catalogue_url or f"http://127.0.0.1:{self.catalogue_port}"

    @property
    def search_base_url(self) -> str:
        return (self.search_url or f"http://127.0.0.1:{self.search_port}").rstrip("/")

    @property
    def notify_public_base(self) -> str:
        """Notify's address in links people follow (mails, the portal's follow link)."""
        return (self.notify_public_url or f"http://127.0.0.1:{self.notify_port}").rstrip("/")


# The installation's pepper, when STINET_KEY_PEPPER is not set: one file every service reads.
PEPPER_FILE = "key-pepper"


def stored_secret(configured: SecretStr | None, data_dir: Path, name: str) -> bytes:
    """A server secret: as configured, else generated once into ``data_dir/name`` (0600).

    Every process of one installation shares the data dir, so they all read the same value;
    the file appears whole (written aside, then linked) for processes starting together.
    """
    if configured is not None:
        return configured.get_secret_value().encode()
    path = Path(data_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            with contextlib.suppress(FileExistsError):  # another process was first: use its
                os.link(draft, path)
        finally:
            draft.unlink()
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: remove it, or set the secret in the environment")
    return value.encode()


def load_settings() -> Settings:
    """Read the settings from the environment (call in factories, never at import)."""
    return Settings()
