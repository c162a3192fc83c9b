"""Time to evaluate 10,000 members (target < 1 s): python -m bench.notify_evaluate."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.notify_support import NOW, secantus, seed_members
from services.notify import domain, handlers
from services.notify.adapters.mongo import MongoFreshnessStore, MongoReminderLog
from services.notify.bootstrap import notify_config
from shared.mongo import make_mongo_client, service_database

MEMBERS = 10_000
ROUNDS = 5


async def main() -> None:
    async with secantus() as settings:
        await seed_members(settings, MEMBERS)
        config = notify_config(settings)
        client = make_mongo_client(settings)
        db = service_database(client, settings)
        store, log = MongoFreshnessStore(db), MongoReminderLog(db)
        await log.ensure_indexes()

        members = await store.all_members()
        pure = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            plan = domain.evaluate(members, NOW, centre_email="tt@hp.vn", tz=config.tz)
            pure.append(time.perf_counter() - started)

        loads, first_run, repeat_runs = [], 0.0, []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            await store.all_members()
            loads.append(time.perf_counter() - started)
        for round_no in range(ROUNDS):
            started = time.perf_counter()
            report = await handlers.plan_reminders(NOW, store=store, reminders=log, config=config)
            elapsed = time.perf_counter() - started
            if round_no == 0:
                first_run, recorded = elapsed, report.recorded
            else:
                repeat_runs.append(elapsed)
        await client.close()

    print(f"members evaluated: {len(members)}; states: {plan.counts()}")
    print(f"reminders due: {len(plan.reminders)} (recorded on the first run: {recorded})")
    print(f"domain evaluation only (median of {ROUNDS}): {statistics.median(pure) * 1000:.0f} ms")
    print(f"load 10,000 members from SecantusDB (median): {statistics.median(loads) * 1000:.0f} ms")
    print(f"full run, first (load + evaluate + render + record): {first_run * 1000:.0f} ms")
    print(
        f"full run, repeated (nothing new to record, median): "
        f"{statistics.median(repeat_runs) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
