"""The API contract holds (issue 14): schemathesis, every check on, over each service's OpenAPI.

Each service runs as a real process; ``st run`` is the same command an operator runs by hand
(docs/operators/README.md). Every check is on (``[checks] enabled = true`` in
``schemathesis.toml`` beside this file, rather than ``--checks all``, which would override
them) except where one does not apply to an operation, each exception with its reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
SERVICES = ("ingest", "catalogue", "search", "notify")
# Bounded so the four services together stay within ~2 minutes on a loaded CI machine.
MAX_EXAMPLES = 20


def schemathesis(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "1",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def failures(run: subprocess.CompletedProcess[str]) -> str:
    """The report's FAILURES section, each line clipped (a fuzzed value can be megabytes)."""
    report = run.stdout
    start = report.find("= FAILURES =")
    section = report[start:] if start >= 0 else report[-20000:]
    clipped = (line if len(line) <= 400 else line[:400] + " …" for line in section.splitlines())
    return "\n".join(clipped)[:20000] + run.stderr[-3000:]


@pytest.mark.parametrize("service", SERVICES)
def test_the_contract_holds_for_the_centre(stack: RunningStack, service: str) -> None:
    """Authenticated as the centre (root key): the routes' real logic answers as declared."""
    run = schemathesis(stack.url(service), "--header", f"Authorization: Bearer {stack.admin_key}")
    assert run.returncode == 0, failures(run)


@pytest.mark.parametrize("service", SERVICES)
def test_the_contract_holds_for_a_stranger(stack: RunningStack, service: str) -> None:
    """Without credentials: protected routes answer a declared 401, open ones as declared."""
    run = schemathesis(stack.url(service))
    assert run.returncode == 0, failures(run)
