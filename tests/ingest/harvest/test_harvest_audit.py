"""Each change to a harvest source, and each run started, is recorded with who did it."""

# The fixtures env and dspace (tests.ingest.harvest.test_harvest) are imported.
# ruff: noqa: F811

from __future__ import annotations

from tests.ingest.harvest.dspace import DSpace
from tests.ingest.harvest.test_harvest import Env, _register, _run, dspace, env  # noqa: F401
from tests.sessions import entries


async def test_source_changes_and_runs_are_recorded(env: Env, dspace: tuple[DSpace, str]) -> None:
    _, url = dspace
    source = await _register(env, url)
    await _run(env, source["id"])
    patched = await env.api.patch(
        f"/v1/harvest-sources/{source['id']}", json={"enabled": False}, headers=env.admin
    )
    assert patched.status_code == 200, patched.text
    deleted = await env.api.delete(f"/v1/harvest-sources/{source['id']}", headers=env.admin)
    assert deleted.status_code == 204

    audit = (await env.api.get("/v1/audit", headers=env.admin)).json()
    assert entries(audit) == [
        ("harvest.source_deleted", "root", "hpu"),
        ("harvest.source_changed", "root", "hpu"),
        ("harvest.run_started", "root", "hpu"),
        ("harvest.source_added", "root", "hpu"),
    ]
    assert {e["target"] for e in audit["entries"]} == {source["id"]}
    assert audit["entries"][1]["details"] == {"fields": ["enabled"]}
    assert audit["entries"][3]["details"]["base_url"] == url
