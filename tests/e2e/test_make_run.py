"""``python -m devstack`` (what ``make run`` runs): starts everything, loads the demo, prints
the URLs and the admin key, refuses a second run on the same data dir, starts again a
service or SecantusDB that dies, and stops cleanly with exit status 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from devstack.demo.records import all_records
from devstack.processes import free_port
from devstack.stack import delete_namespace
from shared.config import Settings
from tests.conftest import AMQP_URL, unique_namespace
from tests.e2e.conftest import _ISOLATE

pytestmark = pytest.mark.e2e


def wait_for_line(
    path: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        if process.poll() is not None:
            raise AssertionError(f"devstack exited with {process.returncode}:\n{text}")
        time.sleep(0.3)
    raise AssertionError(f"no {pattern!r} after {timeout:.0f} s:\n{path.read_text()}")


def pids(text: str) -> dict[str, int]:
    line = re.findall(r"processes: (.*)", text)[-1]
    return {name: int(pid) for name, pid in (item.split("=") for item in line.split(", "))}


def kill_and_wait_back(
    name: str, pid: int, out: Path, process: subprocess.Popen[bytes], ready_url: str
) -> None:
    """SIGKILL one supervised process: make run says so, starts it again, it answers."""
    os.kill(pid, signal.SIGKILL)
    text = wait_for_line(out, rf"{name} exited \(code -9\); restarting in", process, timeout=30)
    text = wait_for_line(out, rf"{name} .*restarted \(pid (\d+)\)", process, timeout=60)
    assert int(re.findall(rf"{name} .*restarted \(pid (\d+)\)", text)[-1]) != pid

    def answers() -> bool:
        try:
            return httpx2.get(ready_url, timeout=5).status_code == 200
        except httpx2.HTTPError:
            return False

    deadline = time.monotonic() + 120
    while not answers():
        assert time.monotonic() < deadline, f"{ready_url} not back after {name} restarted"
        time.sleep(0.5)


@pytest.mark.timeout(480)
def test_make_run_serves_the_demo_guards_its_data_dir_and_stops_cleanly(tmp_path: Path) -> None:
    namespace = unique_namespace("run")
    ports = {name: free_port() for name in ("SEARCH", "INGEST", "CATALOGUE", "NOTIFY")}
    env = {k: v for k, v in os.environ.items() if k not in (*_ISOLATE, "MONGO_URL")}
    env.update(
        AMQP_URL=AMQP_URL,
        STINET_NAMESPACE=namespace,
        STINET_DB=namespace.replace("-", "_"),
        STINET_DATA_DIR=str(tmp_path / "data"),
        **{f"{name}_PORT": str(port) for name, port in ports.items()},
    )
    env.pop("STINET_ADMIN_KEY", None)
    out = tmp_path / "devstack.out"
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        text = wait_for_line(out, r"Ctrl-C", process, timeout=240)
        admin_key = (tmp_path / "data" / "admin-key").read_text().strip()
        assert admin_key in text
        search = f"http://127.0.0.1:{ports['SEARCH']}"
        for url in (f"{search}/", f"http://127.0.0.1:{ports['CATALOGUE']}/oai?verb=Identify"):
            assert url.split("?")[0].rstrip("/") in text

        found = httpx2.get(f"{search}/v1/search", params={"q": "dai hoc hang hai"}).json()
        assert any(hit["member"] == "vmu" for hit in found["hits"])
        everything = httpx2.get(f"{search}/v1/search", params={"per_page": 1}).json()
        assert everything["total"] == sum(len(r) for r in all_records().values())
        assert (tmp_path / "data" / "demo-keys.json").stat().st_mode & 0o777 == 0o600

        second = subprocess.run(
            [sys.executable, "-m", "devstack"],
            env={**env, **{f"{name}_PORT": str(free_port()) for name in ports}},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert "in use by another run" in second.stderr

        catalogue = f"http://127.0.0.1:{ports['CATALOGUE']}"
        started = pids(text)
        kill_and_wait_back("catalogue", started["catalogue"], out, process, f"{catalogue}/healthz")
        kill_and_wait_back("secantusdb", started["secantusdb"], out, process, f"{catalogue}/readyz")
        members = httpx2.get(f"{catalogue}/v1/members").json()  # the store's files kept them
        assert any(member["code"] == "vmu" for member in members["members"]), members

        process.send_signal(signal.SIGTERM)
        assert process.wait(90) == 0
        final = out.read_text()
        assert re.search(r"catalogue=0, ingest=0, search=0, notify=0, secantusdb=0", final)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
        asyncio.run(delete_namespace(Settings(amqp_url=AMQP_URL, stinet_namespace=namespace)))
