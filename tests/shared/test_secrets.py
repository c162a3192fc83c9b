"""stored_secret: one secret per installation, whole, even for processes starting together."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from pydantic import SecretStr

from shared.config import stored_secret


def _read(data_dir: str) -> bytes:
    return stored_secret(None, Path(data_dir), "session-secret")


def test_processes_starting_together_read_the_same_whole_secret(tmp_path: Path) -> None:
    fork = multiprocessing.get_context("fork")
    for attempt in range(10):
        data_dir = tmp_path / str(attempt)
        with fork.Pool(6) as pool:
            values = set(pool.map(_read, [str(data_dir)] * 12))
        assert len(values) == 1, values
        (value,) = values
        assert len(value) == 64
        assert [p.name for p in data_dir.iterdir()] == ["session-secret"]
        assert (data_dir / "session-secret").stat().st_mode & 0o777 == 0o600


def test_a_configured_secret_wins_and_writes_nothing(tmp_path: Path) -> None:
    assert stored_secret(SecretStr("given"), tmp_path / "d", "x") == b"given"
    assert not (tmp_path / "d").exists()
