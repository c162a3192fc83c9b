"""Settings of the harvester (environment variables ``HARVEST_*``), additive to ``Settings``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HarvestSettings(BaseSettings):
    """Timeouts, retries and the schedule loop's pace (``HARVEST_ALLOW_PRIVATE_NETWORKS`` is
    in the shared ``Settings``)."""

    model_config = SettingsConfigDict(env_prefix="HARVEST_", extra="ignore", frozen=True)

    run_timeout_seconds: float = Field(default=4 * 3600, gt=0)
    lease_seconds: float = Field(default=300, gt=0)
    tick_seconds: float = Field(default=30, gt=0)
    max_concurrent_runs: int = Field(default=2, ge=1, le=32)
    request_timeout_seconds: float = Field(default=60, gt=0)
    attempts: int = Field(default=6, ge=1, le=20)
    backoff_seconds: float = Field(default=2.0, ge=0)
    max_wait_seconds: float = Field(default=300, ge=0)
    # ``from`` starts this much before the last successful run: records the repository
    # committed late with an earlier datestamp are not missed (re-applying is idempotent).
    from_overlap_seconds: float = Field(default=300, ge=0)
    max_response_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    user_agent: str = "stinet-harvester/0.1 (+OAI-PMH 2.0)"
