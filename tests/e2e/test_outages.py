"""Outages a service must report instead of hanging (issue 14 E, F): a stopped store makes
``/readyz`` answer 503 naming the check, within a probe's timeout; a broker that accepts TCP
but never completes the handshake makes a starting service exit non-zero with a log line
that names the broker (never its password) and what failed."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from devstack.processes import free_port, http_ok, port_answers, secantus_process
from shared.config import Settings
from tests.conftest import AMQP_URL
from tests.e2e.outages import LOGS, hung_broker, notify_process

pytestmark = pytest.mark.e2e

# What an orchestrator's probe waits before it gives up (compose's is longer, Kubernetes' 1 s).
PROBE_TIMEOUT = 3.0


def test_readyz_answers_503_naming_the_store_while_it_is_down(
    settings: Settings, tmp_path: Path
) -> None:
    mongo_port = free_port()
    store = secantus_process(
        port=mongo_port, storage=tmp_path / "mongo", log_path=LOGS / f"secantus-{mongo_port}.log"
    ).start()
    service, base = notify_process(
        settings, amqp_url=AMQP_URL, mongo_url=f"mongodb://127.0.0.1:{mongo_port}/"
    )
    try:
        store.wait_until(lambda: port_answers(mongo_port), timeout=60)
        service.start().wait_until(lambda: http_ok(f"{base}/readyz"), timeout=90)
        store.stop()

        answer = httpx2.get(f"{base}/readyz", timeout=PROBE_TIMEOUT)

        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "not_ready"
        assert body["checks"] == {"broker": True, "mongo": False}
        assert body["failed"]["mongo"] in ("timeout", "error")
    finally:
        service.stop()
        store.stop()


@pytest.mark.timeout(120)
def test_a_service_started_against_a_hung_broker_exits_naming_it(
    settings: Settings, mongo_url: str
) -> None:
    with hung_broker() as port:
        service, _ = notify_process(
            settings, amqp_url=f"amqp://stinet:s3cret-pw@127.0.0.1:{port}/", mongo_url=mongo_url
        )
        service.start()
        assert service.process is not None
        try:
            code = service.process.wait(90)
        finally:
            service.stop()

    log = service.log_path.read_text(errors="replace")
    assert code != 0, log
    line = next((ln for ln in log.splitlines() if "broker_unreachable" in ln), None)
    assert line is not None, log
    assert f"127.0.0.1:{port}" in line
    assert "connect" in line
    assert "s3cret-pw" not in log
