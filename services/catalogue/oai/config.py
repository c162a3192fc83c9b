"""Settings of the OAI-PMH provider (environment variables ``OAI_*``), additive to ``Settings``."""

from __future__ import annotations

import hashlib

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config import PEPPER_FILE, Settings, stored_secret

DOMAIN_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$"


class OaiSettings(BaseSettings):
    """What the provider tells harvesters about itself.

    ``OAI_REPOSITORY_DOMAIN`` is the namespace of our identifiers
    (``oai:<domain>:<record id>``): choose it once, never change it, or every harvester
    sees the whole catalogue deleted and re-created.
    """

    model_config = SettingsConfigDict(env_prefix="OAI_", extra="ignore", frozen=True)

    repository_domain: str = Field(default="stinet.haiphong.vn", pattern=DOMAIN_PATTERN)
    repository_name: str = "Hệ thống tra cứu chỉ dẫn chung — Mạng thông tin KH&CN Hải Phòng"
    base_url: str | None = None
    admin_email: str | None = None
    page_size: int = Field(default=100, ge=1, le=1000)
    sets_enabled: bool = True
    token_ttl_days: int = Field(default=7, ge=1, le=365)


def oai_base_url(settings: Settings, oai: OaiSettings) -> str:
    """The baseURL harvesters call: ``OAI_BASE_URL`` or the catalogue's URL + ``/oai``."""
    return oai.base_url or f"{settings.catalogue_base_url.rstrip('/')}/oai"


def token_key(settings: Settings) -> bytes:
    """Stable across restarts and replicas (the installation's pepper: configured, or kept in
    the data dir), so tokens need no storage; never a constant anyone could forge with."""
    pepper = stored_secret(settings.stinet_key_pepper, settings.stinet_data_dir, PEPPER_FILE)
    return hashlib.sha256(b"oai-resumption-token|" + pepper).digest()
