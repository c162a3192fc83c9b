"""``python -m services.search`` runs the service; ``python -m services.search reindex`` rebuilds.

The rebuild runs inside the live service when it answers (so the old index serves and
live changes reach the new one); with no service running it runs here, on the same files.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx2

from services.search.bootstrap import create_app, make_index
from shared.config import Settings, load_settings
from shared.runtime import serve

POLL_SECONDS = 0.5


def main() -> None:
    settings = load_settings()
    if sys.argv[1:2] == ["reindex"]:
        sys.exit(reindex(settings))
    serve(
        lambda: create_app(settings), service="search", port=settings.search_port, settings=settings
    )


def _print_progress(indexed: int, started: float) -> None:
    rate = indexed / max(time.monotonic() - started, 1e-6)
    print(
        f"\r  đã lập chỉ mục / indexed: {indexed:>9,} bản ghi  ({rate:,.0f}/s)", end="", flush=True
    )


def reindex(settings: Settings) -> int:
    """Rebuild the search index from the catalogue, showing progress; 0 on success."""
    base = f"http://127.0.0.1:{settings.search_port}"
    try:
        httpx2.get(f"{base}/healthz", timeout=2.0).raise_for_status()
    except httpx2.HTTPError:
        print(f"Dịch vụ tìm kiếm không chạy ở {base}: tái lập chỉ mục trực tiếp trên đĩa.")
        return asyncio.run(_reindex_offline(settings))
    return _reindex_online(settings, base)


def _reindex_online(settings: Settings, base: str) -> int:
    headers = {"Authorization": f"Bearer {settings.admin_key or ''}"}
    response = httpx2.post(f"{base}/v1/admin/reindex", headers=headers, timeout=10.0)
    if response.status_code != 202:
        print(f"Không bắt đầu được / could not start: {response.status_code} {response.text}")
        return 1
    print(f"Tái lập chỉ mục từ danh mục (the old index serves meanwhile) — {base}")
    started = time.monotonic()
    while True:
        time.sleep(POLL_SECONDS)
        state = httpx2.get(f"{base}/v1/admin/reindex", headers=headers, timeout=10.0).json()
        _print_progress(int(state["indexed"]), started)
        if state["state"] != "running":
            print()
            break
    if state["state"] != "done":
        print(f"Thất bại / failed: {state.get('error')}")
        return 1
    print(f"Xong / done: {state['indexed']:,} bản ghi, đã chuyển sang chỉ mục mới.")
    return 0


async def _reindex_offline(settings: Settings) -> int:
    from services.search.adapters.catalogue import CatalogueRecordSource
    from services.search.handlers import RebuildProgress, rebuild_index

    index = make_index(settings)
    progress = RebuildProgress()
    started = time.monotonic()
    progress.listeners.append(lambda n: _print_progress(n, started))
    await index.open()
    try:
        async with httpx2.AsyncClient(timeout=30.0) as client:
            source = CatalogueRecordSource(settings.catalogue_base_url, client)
            count = await rebuild_index(index=index, source=source, progress=progress)
    finally:
        await index.close()
    print(f"\nXong / done: {count:,} bản ghi.")
    return 0


if __name__ == "__main__":
    main()
