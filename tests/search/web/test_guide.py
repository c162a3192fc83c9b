"""The member guide (docs/thanh-vien) served as portal pages: over the portal app and real HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
import uvicorn
from fastapi import FastAPI

from devstack.processes import free_port
from services.search.entrypoints import guide
from services.search.entrypoints.guide import GUIDE_DIR
from shared.http import install_ports
from tests.search.web.conftest import Portal

EVIL = """# Hướng dẫn thử

Đoạn có <script>alert("x")</script> và <b>đậm</b>.

[trang khác](khac.md#muc-2) · [mục lục](README.md) · [ngoài](../operators/README.md)
[js](javascript:alert(1))

| cột | giá trị |
|---|---|
| a | b |
"""


def _first_heading(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    raise AssertionError(f"{path} has no first heading")


async def test_the_index_lists_every_member_guide_by_its_first_heading(portal: Portal) -> None:
    response = await portal.client.get("/huong-dan/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "vi"
    page = response.text
    assert "/static/portal.css" in page and 'class="site"' in page
    guides = [p for p in sorted(GUIDE_DIR.glob("*.md")) if p.name != "README.md"]
    assert len(guides) >= 3
    for path in guides:
        assert f'href="/huong-dan/{path.stem}"' in page
        assert _first_heading(path).replace("&", "&amp;") in page
    assert _first_heading(GUIDE_DIR / "README.md") in page
    assert (await portal.client.get("/huong-dan")).status_code == 200


async def test_each_guide_is_a_page_with_its_heading_and_sibling_links_rewritten(
    portal: Portal,
) -> None:
    response = await portal.client.get("/huong-dan/nhap-du-lieu")
    assert response.status_code == 200
    title = _first_heading(GUIDE_DIR / "nhap-du-lieu.md").replace("&", "&amp;")
    assert f"<h1>{title}</h1>" in response.text
    assert "<title>" + title in response.text
    assert 'href="/huong-dan/"' in response.text
    index = (await portal.client.get("/huong-dan/")).text
    assert 'href="/huong-dan/nhap-du-lieu"' in index  # README's table links the pages
    assert "nhap-du-lieu.md" not in re.sub(r">[^<]*<", "><", index)  # no .md hrefs left


async def test_unknown_or_traversing_names_are_404(portal: Portal) -> None:
    for path in (
        "/huong-dan/khong-co",
        "/huong-dan/README",
        "/huong-dan/..%2F..%2Fpyproject.toml",
        "/huong-dan/%2e%2e",
        "/huong-dan/nhap-du-lieu.md",
        "/huong-dan/../../etc/passwd",
    ):
        response = await portal.client.get(path)
        assert response.status_code == 404, path
        assert "[project]" not in response.text and "root:" not in response.text
    missing = await portal.client.get("/huong-dan/khong-co")
    assert "Không có hướng dẫn này" in missing.text


async def test_the_page_chrome_switches_to_english(portal: Portal) -> None:
    response = await portal.client.get("/huong-dan/oai-pmh?lang=en")
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    assert "All guides" in response.text and 'href="/huong-dan/oai-pmh?lang=vi"' in response.text
    assert '<article id="guide" class="record guide" tabindex="-1" lang="vi">' in response.text


async def test_the_portal_footer_links_the_guide(portal: Portal) -> None:
    page = (await portal.client.get("/")).text
    assert '<a href="/huong-dan/">Hướng dẫn</a>' in page
    english = (await portal.client.get("/?lang=en")).text
    assert '<a href="/huong-dan/?lang=en">Guides</a>' in english


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[str]:
    """The guide router over a directory of our own, behind a real uvicorn server."""
    (tmp_path / "README.md").write_text("# Mục lục thử\n\n[thử](thu.md)\n", encoding="utf-8")
    (tmp_path / "thu.md").write_text(EVIL, encoding="utf-8")
    (tmp_path / "khac.md").write_text("Không có tiêu đề\n", encoding="utf-8")
    (tmp_path / "Bad Name.md").write_text("# bị bỏ qua\n", encoding="utf-8")
    app = FastAPI()
    app.include_router(guide.router)
    install_ports(app, guide.guide_pages(tmp_path))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_raw_html_in_the_markdown_is_escaped_and_script_links_dropped(served: str) -> None:
    async with httpx2.AsyncClient(base_url=served) as client:
        response = await client.get("/huong-dan/thu")
        index = await client.get("/huong-dan/")
        odd = await client.get("/huong-dan/Bad%20Name")
    assert response.status_code == 200
    body = response.text
    assert "<script>alert" not in body and "<b>đậm</b>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "&lt;b&gt;đậm&lt;/b&gt;" in body
    assert 'href="javascript:' not in body
    assert 'href="/huong-dan/khac#muc-2"' in body and 'href="/huong-dan/"' in body
    assert 'href="../operators/README.md"' in body  # not a guide: left as written
    assert "<table>" in body and "<td>b</td>" in body
    assert index.status_code == 200
    assert "<h1>Mục lục thử</h1>" in index.text
    assert 'href="/huong-dan/thu">Hướng dẫn thử</a>' in index.text
    assert 'href="/huong-dan/khac">khac</a>' in index.text  # no heading: the file name
    assert "bị bỏ qua" not in index.text and odd.status_code == 404


def test_the_image_ships_the_guide_where_the_router_looks_for_it() -> None:
    root = GUIDE_DIR.parents[1]
    assert (root / "pyproject.toml").is_file() and (GUIDE_DIR / "README.md").is_file()
    dockerfile = (root / "deploy" / "Dockerfile").read_text()
    assert "COPY docs/thanh-vien ./docs/thanh-vien" in dockerfile  # /app/docs/thanh-vien
    ignore = (root / "deploy" / "Dockerfile.dockerignore").read_text().split()
    assert "!docs/thanh-vien/**" in ignore
