"""Installation secrets: fallbacks to the pepper file, never a constant; no shipped password."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.catalogue.oai.config import token_key
from services.search.bootstrap import visit_counter
from shared.config import Settings


def bare(data_dir: Path) -> Settings:
    """An installation without STINET_KEY_PEPPER or STINET_ADMIN_KEY (the dev default)."""
    return Settings(stinet_data_dir=data_dir, stinet_key_pepper=None, stinet_admin_key=None)


def test_the_oai_token_key_is_the_installations_own_and_shared_by_its_processes(
    tmp_path: Path,
) -> None:
    here = token_key(bare(tmp_path / "a"))
    assert token_key(bare(tmp_path / "a")) == here  # a restart or a replica: the same key
    assert token_key(bare(tmp_path / "b")) != here  # another installation cannot forge ours


def test_the_visit_salt_is_the_installations_own(tmp_path: Path) -> None:
    def salt(settings: Settings) -> str:
        return visit_counter(settings, None)._salt  # type: ignore[arg-type,return-value]

    here = salt(bare(tmp_path / "a"))
    assert salt(bare(tmp_path / "a")) == here
    assert salt(bare(tmp_path / "b")) != here
    assert bare(tmp_path / "a").stinet_namespace not in here


def test_the_shipped_broker_password_is_refused_at_start() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(amqp_url="amqp://stinet:change-me@rabbitmq-1:5672/")
    assert "change-me" in str(refused.value) and "definitions.json" in str(refused.value)
    with pytest.raises(ValidationError):
        Settings(amqp_url="amqp://stinet:change%2Dme@rabbitmq-1:5672/")  # percent-encoded
    chosen = Settings(amqp_url="amqp://stinet:9f2c-long-random@rabbitmq-1:5672/")
    assert chosen.amqp_url.get_secret_value().startswith("amqp://stinet:")


def test_a_refused_broker_address_never_shows_its_password() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(amqp_url="amqp://stinet:s3cret-pw@rabbit-1:5672/,not-a-url")
    assert "address 2 of 2" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value) and "s3cret-pw" not in repr(refused.value)
