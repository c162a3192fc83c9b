"""The search service's ``records.changed`` consumer alone, as a process to SIGKILL.

The production subscriber (``register_subscribers``) over the embedded index, nothing else:
``python -m tests.search.kill_consumer <namespace> <data dir>``; prints ``ready`` once it
consumes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from services.search.adapters.tantivy_index import TantivyIndex
from services.search.entrypoints.messaging import register_subscribers
from services.search.ports import MemberDirectory
from shared.config import Settings
from shared.topology import make_broker


class NoMembers:
    """Member names are not what this process is for; a member event would fail loudly."""

    async def save(self, code: str, name: str, name_en: str | None, version: int) -> None:
        raise RuntimeError("kill_consumer keeps no member names")

    async def names(self) -> dict[str, dict[str, str]]:
        raise RuntimeError("kill_consumer keeps no member names")


async def main(namespace: str, data_dir: Path) -> None:
    settings = Settings(stinet_namespace=namespace, stinet_data_dir=data_dir)
    index = TantivyIndex(data_dir)
    await index.open()
    members: MemberDirectory = NoMembers()
    broker = make_broker(settings)
    register_subscribers(broker, settings, get_index=lambda: index, get_members=lambda: members)
    async with broker:
        await broker.start()
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
