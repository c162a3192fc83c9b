"""``scripts/ensure-rabbitmq`` checks the AMQP handshake, not only the port (issue 14 F)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.processes import free_port
from tests.conftest import AMQP_URL
from tests.e2e.outages import hung_broker

pytestmark = pytest.mark.e2e
SCRIPTS = Path(__file__).parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))
import amqp_handshake  # noqa: E402  (a standard-library script, not a package)


def ensure_rabbitmq(amqp_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AMQP_URL": amqp_url,
        "STINET_DATA_DIR": str(data_dir),
        "STINET_HANDSHAKE_SECONDS": "2",
    }
    return subprocess.run(
        [str(SCRIPTS / "ensure-rabbitmq"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_check_tells_a_hung_broker_from_an_answering_one() -> None:
    with hung_broker() as port:
        status, message = amqp_handshake.check("127.0.0.1", port, 1.0)
    assert status == amqp_handshake.HUNG
    assert f"127.0.0.1:{port}" in message


@pytest.mark.timeout(300)
def test_a_hung_local_broker_is_reported_and_our_own_node_is_used(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with hung_broker() as port:
        hung_url = f"amqp://guest:guest@127.0.0.1:{port}/"
        try:
            result = ensure_rabbitmq(hung_url, data_dir)
            assert result.returncode == 0, result.stderr
            assert f"127.0.0.1:{port}" in result.stderr
            assert "hung" in result.stderr
            own_url = result.stdout.strip()
            assert own_url.startswith("amqp://guest:guest@127.0.0.1:") and own_url != hung_url
            own_port = int(own_url.rsplit(":", 1)[1].strip("/"))
            assert amqp_handshake.check("127.0.0.1", own_port, 5.0)[0] == amqp_handshake.ANSWERS

            again = ensure_rabbitmq(hung_url, data_dir)  # the running node is reused
            assert again.stdout.strip() == own_url, again.stderr
        finally:
            ensure_rabbitmq(hung_url, data_dir, "stop")
    assert amqp_handshake.check("127.0.0.1", own_port, 2.0)[0] == amqp_handshake.NOTHING


def test_a_cluster_list_answers_when_one_node_does_and_never_starts_one(tmp_path: Path) -> None:
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    listed = f"{dead},{AMQP_URL}"
    result = ensure_rabbitmq(listed, tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == listed

    nothing = ensure_rabbitmq(f"{dead},amqp://guest:guest@127.0.0.1:{free_port()}/", tmp_path)
    assert nothing.returncode == 1
    assert "No RabbitMQ node in AMQP_URL answers" in nothing.stderr
    assert not (tmp_path / "rabbitmq" / "port").exists()
