"""Nothing lost, duplicated or dead-lettered while ingest, the catalogue or the store is
SIGKILLed mid-push (issue 14): the kill scenarios of ``bench.chaos`` on 2,000 records.

The stack is its own (SecantusDB on a file store, so a killed store has something to lose;
the services as processes, in a namespace of their own on the machine's RabbitMQ).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.chaos import ISOLATE, LABELS, SCENARIOS, Chaos, format_row, running_chaos
from tests.conftest import AMQP_URL

pytestmark = pytest.mark.e2e

RECORDS = 2_000


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chaos]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATE}
    base = Path(tmp_path_factory.mktemp("chaos"))
    # Batches of 200: a fault lands with most of the push still to come.
    with running_chaos(
        base, amqp_url=AMQP_URL, env=env, batch=200, clients=4, converge_timeout=120
    ) as running:
        yield running


@pytest.mark.timeout(420)  # a failing run waits out the convergence timeout
@pytest.mark.parametrize("scenario", ["ingest", "catalogue", "store-kill"])
def test_a_sigkill_loses_duplicates_and_dead_letters_nothing(chaos: Chaos, scenario: str) -> None:
    row = chaos.run(LABELS[scenario], SCENARIOS[scenario], RECORDS)

    table = format_row(row)
    print(table)
    assert row.converged_s is not None, f"never converged: {table}"
    assert (row.pushed, row.stored, row.indexed) == (RECORDS, RECORDS, RECORDS), table
    assert row.duplicates == 0, table
    assert row.dead_lettered == 0, table
    assert row.unfinished == 0, table
    assert row.server_errors == 0, table
