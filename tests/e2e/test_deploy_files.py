"""The production files parse and say what the operator guide promises (no Docker here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = ("ingest", "catalogue", "search", "notify")


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_each_service_from_the_one_image_with_two_replicas() -> None:
    services = compose()["services"]
    images = {services[name]["image"] for name in SERVICES}
    assert len(images) == 1
    for name in SERVICES:
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert services[name]["deploy"]["replicas"] == 2
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"


def test_compose_uses_official_images_for_the_production_backends() -> None:
    services = compose()["services"]
    assert {f"rabbitmq-{i}" for i in (1, 2, 3)} <= services.keys()
    assert services["rabbitmq-1"]["image"].startswith("rabbitmq:3.")
    assert services["meilisearch"]["image"].startswith("getmeili/meilisearch:")
    for i in (1, 2, 3):
        command = services[f"mongo-{i}"]["command"]
        assert services[f"mongo-{i}"]["image"].startswith("mongo:")
        assert command[command.index("--replSet") + 1] == "rs0"


def test_services_write_with_majority_to_the_replica_set_and_never_hold_the_master_key() -> None:
    env = compose()["services"]["catalogue"]["environment"]
    assert "replicaSet=rs0" in env["MONGO_URL"] and "w=majority" in env["MONGO_URL"]
    assert env["MEILI_URL"].startswith("http://meilisearch")
    assert "MASTER" not in env["MEILI_KEY"]
    assert all("MEILI_MASTER_KEY" not in str(v) for v in env.values())


def test_rabbitmq_config_makes_quorum_the_default_and_loads_definitions() -> None:
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert "default_queue_type = quorum" in conf
    assert "definitions.local.path = /etc/rabbitmq/definitions.json" in conf
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    policy = next(p for p in definitions["policies"] if p["name"] == "stinet-quorum-safety")
    assert policy["apply-to"] == "quorum_queues"
    assert policy["definition"]["delivery-limit"] >= 1


def test_dockerfile_builds_one_image_without_the_gpl_embedded_server() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "services.' in dockerfile
    assert "[embedded" not in dockerfile.replace("No [embedded]", "")
    # Templates and static files live beside the code: the image runs from the source tree.
    assert "pip install -e /app" in dockerfile and "COPY --from=build /app /app" in dockerfile
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert "!services/**" in ignore and ".venv" not in ignore[1:]
