"""End to end in headless Chromium: the real search service (embedded engine) as a process,
the portal page and a member's page embedding the widget; screenshots in tests/artifacts/."""

from __future__ import annotations

import http.server
import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.processes import free_port, http_ok, service_process
from services.search.adapters.tantivy_index import TantivyIndex
from shared.config import Settings
from shared.mongo import make_mongo_client, service_database
from tests.conftest import ARTIFACTS
from tests.search.web.browser import ensure_chromium, make_driver
from tests.search.web.conftest import fill
from tests.search.web.corpus import TARGET_TITLE

pytestmark = pytest.mark.e2e

QUERY = "dai hoc hang hai"

MEMBER_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thư viện — Trường ĐH Hàng hải</title>
<style>
 body {{ font-family: Georgia, "Times New Roman", serif; color: #2b2b2b; background: #fbf8f1;
        margin: 0; }}
 header {{ background: #7a1f1f; color: #fff; padding: 1rem 2rem; }}
 main {{ display: grid; grid-template-columns: 1fr 22rem; gap: 2rem; padding: 1rem 2rem; }}
 aside {{ border-left: 3px solid #7a1f1f; padding-left: 1rem; }}
 iframe {{ width: 100%; height: 26rem; border: 1px solid #ccc; background: #fff; }}
</style></head>
<body><header><h1>Thư viện Trường Đại học Hàng hải Việt Nam</h1></header>
<main><section><h2>Tra cứu chung của mạng lưới</h2>
<p>Tìm trong tài nguyên của Thư viện (ô tìm kiếm dưới đây do mạng lưới cung cấp):</p>
<script src="{base}/widget.js" data-member="vmu" data-lang="vi"></script>
</section>
<aside><h2>Dạng khung (iframe)</h2>
<iframe title="Tra cứu chung" src="{base}/embed?member=hpu&amp;q=hang+hai"></iframe></aside>
</main></body></html>
"""


def serve_member_site(base: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A member's website on another origin (another port), embedding the widget."""
    body = MEMBER_PAGE.format(base=base).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@pytest.fixture
def chromium() -> None:
    reason = ensure_chromium()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
async def search_service(settings: Settings) -> Iterator[str]:
    """``python -m services.search`` over an index and member names filled beforehand."""
    index = TantivyIndex(settings.stinet_data_dir)
    await index.open()
    mongo = make_mongo_client(settings)
    await fill(index, service_database(mongo, settings))
    await index.close()
    port = free_port()
    env = {
        **os.environ,
        "AMQP_URL": settings.amqp_url.get_secret_value(),
        "MONGO_URL": settings.mongo_uri,
        "STINET_NAMESPACE": settings.stinet_namespace,
        "STINET_DB": settings.stinet_db,
        "STINET_DATA_DIR": str(settings.stinet_data_dir),
        "STINET_ADMIN_KEY": settings.admin_key or "",
        "SEARCH_PORT": str(port),
        "STINET_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("MEILI_URL", None)
    process = service_process("search", env, ARTIFACTS / f"search-web-{port}.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_until(lambda: http_ok(base + "/readyz"), timeout=60)
        yield base
    finally:
        process.stop()
        await mongo.drop_database(settings.stinet_db)
        await mongo.close()


def test_unaccented_query_finds_the_vietnamese_record_in_the_portal_and_the_widget(
    chromium: None, search_service: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    site, site_url = serve_member_site(search_service)
    driver = make_driver(tmp_path / "chromium-profile")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        wait = WebDriverWait(driver, 20)
        # The portal: type without tone marks, press Enter (a plain form: no JavaScript needed).
        driver.set_window_size(1280, 1350)  # tall enough to show the visit counters
        driver.get(search_service + "/")
        box = wait.until(ec.element_to_be_clickable((By.ID, "q")))
        box.send_keys(QUERY, Keys.ENTER)
        wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".hit-title"), "Hàng hải"))
        titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".hit-title")]
        assert TARGET_TITLE in titles[:3]
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        assert driver.find_elements(By.CSS_SELECTOR, ".hit-title mark")
        driver.save_screenshot(str(ARTIFACTS / "portal.png"))

        # The record page and its holdings, then the English switch, by keyboard-reachable links.
        driver.find_element(By.LINK_TEXT, TARGET_TITLE).click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), TARGET_TITLE))
        driver.save_screenshot(str(ARTIFACTS / "record.png"))
        driver.find_element(By.LINK_TEXT, "Trường Đại học Hải Phòng").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "65 năm"))
        driver.find_element(By.LINK_TEXT, "English").click()
        wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".holdings h2"), "Also held by")
        )
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

        # A member's page on another origin with the widget (limited to vmu) and the iframe.
        driver.get(site_url)
        field = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".stinet-w-input")))
        field.send_keys(QUERY, Keys.ENTER)
        wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".stinet-w-title"), "Hàng hải")
        )
        hits = driver.find_elements(By.CSS_SELECTOR, ".stinet-w-title")
        assert TARGET_TITLE in [h.text for h in hits[:3]]
        assert all("/records/vmu:" in h.get_attribute("href") for h in hits)
        assert driver.find_elements(By.CSS_SELECTOR, ".stinet-w-title mark")
        meta = driver.find_element(By.CSS_SELECTOR, ".stinet-w-meta").text
        assert "Trường Đại học Hàng hải Việt Nam" in meta  # the member's name, not its code
        assert not driver.find_element(By.CSS_SELECTOR, ".stinet-w-more").is_displayed()
        widget_font = driver.find_element(By.CSS_SELECTOR, ".stinet-w").value_of_css_property(
            "font-family"
        )
        assert "Georgia" in widget_font  # inherits the member site's font
        driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
        embedded = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".hit-title")]
        assert embedded == ["Đại học Hàng hải Việt Nam: 65 năm xây dựng và phát triển"]
        frame_box = driver.find_element(By.ID, "q")
        frame_box.clear()
        frame_box.send_keys("nghien cuu moi truong bien", Keys.ENTER)  # stays in the frame
        wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".hit-title"), "môi trường biển")
        )
        assert len(driver.window_handles) == 1
        driver.switch_to.default_content()
        driver.set_window_size(1280, 800)
        driver.save_screenshot(str(ARTIFACTS / "widget.png"))

        # The same portal on a phone-sized screen (looked at by hand: no horizontal scroll).
        driver.set_window_size(390, 844)
        driver.get(search_service + "/?q=" + QUERY.replace(" ", "+"))
        scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
        assert scroll_width <= 390
        driver.save_screenshot(str(ARTIFACTS / "portal-phone.png"))
    finally:
        driver.quit()
        site.shutdown()
    with urllib.request.urlopen(search_service + "/v1/stats/visits", timeout=5) as response:
        stats = json.load(response)
    assert stats["total"] >= 4 and stats["online"] >= 1  # portal, embed, widget ping, portal
