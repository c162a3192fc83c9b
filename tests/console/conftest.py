"""The console in headless Chromium over the running system (the four services as processes).

``console_stack`` starts the stack once for the console's tests (the same code as
``make run``); ``browser`` is a :class:`Console` driving a fresh Chromium profile: open a
page, sign in, fill a field by its label's input, press a button, save screenshots into
``tests/artifacts/console/`` (named with the language and the window size).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import MongoClient

from devstack.stack import LocalStack
from tests.conftest import ARTIFACTS, delete_namespace
from tests.e2e.conftest import _ISOLATE, E2E, RunningStack, stack_settings
from tests.search.web.browser import ensure_chromium, make_driver

if TYPE_CHECKING:
    from selenium.webdriver import Chrome
    from selenium.webdriver.remote.webelement import WebElement

SHOTS = ARTIFACTS / "console"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = (1280, 900)
PHONE = (390, 844)
WAIT = 30.0


@pytest.fixture(scope="session")
def console_stack(
    mongo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    """The four services as real processes, for the console's tests (once per session)."""
    settings = stack_settings(mongo_url, tmp_path_factory.mktemp("console-data"))
    env = {k: v for k, v in os.environ.items() if k not in _ISOLATE}
    # The centre's harvest test harvests the stack's own OAI-PMH provider on 127.0.0.1.
    env["HARVEST_ALLOW_PRIVATE_NETWORKS"] = "1"
    local = LocalStack(settings, env=env)
    try:
        local.start(timeout=120)
    except Exception as exc:
        pytest.fail(f"the stack did not start: {exc}\n{local.tails(80)}")
    try:
        yield RunningStack(local, settings)
    finally:
        local.stop()
        asyncio.run(delete_namespace(settings))
        with MongoClient(mongo_url) as client:
            client.drop_database(settings.stinet_db)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the services' log tails and the browser's console to a failing test."""
    report = yield
    if report.failed and "console_stack" in getattr(item, "funcargs", {}):
        running: RunningStack = item.funcargs["console_stack"]
        report.sections.append(("service logs", running.stack.tails(40)))
        browser = item.funcargs.get("browser")
        if isinstance(browser, Console):
            report.sections.append(("browser", browser.debug()))
    return report


@pytest.fixture
def api(console_stack: RunningStack) -> Iterator[E2E]:
    client = E2E(console_stack)
    yield client
    client.close()


class Console:
    """A person at the console: pages, fields by name, buttons by their words, screenshots."""

    def __init__(self, driver: Chrome, base: str) -> None:
        self.driver = driver
        self.base = base
        self.size = "desktop"

    # -- waiting ---------------------------------------------------------------------------
    def until(self, check: Any, what: str, timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                last = check()
            except Exception as exc:  # stale elements while the page re-renders
                last = exc
            if last and not isinstance(last, Exception):
                return last
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})\n{self.debug()}")

    def ready(self) -> None:
        """The page has rendered (no loading line, main not busy)."""
        self.until(
            lambda: self.driver.execute_script(
                "const m = document.getElementById('main');"
                "return m && !m.hasAttribute('aria-busy') && !m.querySelector('.loading');"
            ),
            "the page to render",
        )

    def text(self) -> str:
        return self.driver.find_element("id", "main").text

    def wait_text(self, words: str, timeout: float = WAIT) -> None:
        self.until(lambda: words in self.text(), f"{words!r} on the page", timeout)

    def heading(self) -> str:
        self.ready()
        return self.driver.find_element("css selector", "main h1").text

    # -- doing -----------------------------------------------------------------------------
    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.ready()

    def field(self, name: str) -> WebElement:
        return self.driver.find_element("id", f"f-{name}")

    def fill(self, name: str, value: str) -> None:
        element = self.field(name)
        element.clear()
        element.send_keys(value)

    def choose(self, name: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.field(name)).select_by_value(value)

    def button(self, words: str, root: Any = None) -> WebElement:
        scope = root or self.driver.find_element("id", "main")
        for element in scope.find_elements("css selector", "button"):
            if element.text.strip() == words and element.is_displayed():
                return element
        raise AssertionError(f"no button {words!r}\n{self.debug()}")

    def press(self, words: str) -> None:
        self.button(words).click()

    def link(self, words: str) -> None:
        self.driver.find_element("link text", words).click()
        self.ready()

    def sign_in(self, key: str) -> None:
        self.open("/console/sign-in")
        self.fill("key", key)
        self.press("Đăng nhập")
        self.until(lambda: self.driver.find_elements("id", "sign-out"), "the who-am-I bar")
        self.ready()

    def session_storage(self) -> dict[str, str]:
        return self.driver.execute_script(
            "return Object.fromEntries(Object.entries(window.sessionStorage));"
        )

    def resize(self, size: str) -> None:
        width, height = PHONE if size == "phone" else DESKTOP
        self.driver.set_window_size(width, height)
        self.size = size

    def shot(self, name: str) -> Path:
        """A full-page screenshot: tests/artifacts/console/{name}-{lang}-{size}.png."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        lang = self.driver.execute_script("return document.documentElement.lang")
        path = SHOTS / f"{name}-{lang}-{self.size}.png"
        width = self.driver.get_window_size()["width"]
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        original = self.driver.get_window_size()["height"]
        self.driver.set_window_size(width, min(max(height + 100, original), 4000))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(width, original)
        return path

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the current page."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));"
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def debug(self) -> str:
        try:
            url = self.driver.current_url
            body = self.driver.find_element("tag name", "body").text[:1500]
            logs = self.driver.get_log("browser")[-20:]
        except Exception as exc:
            return f"(browser gone: {exc})"
        return f"url: {url}\n{body}\nconsole: {logs}"


@pytest.fixture
def chromium() -> None:
    reason = ensure_chromium()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def browser(chromium: None, console_stack: RunningStack, tmp_path: Path) -> Iterator[Console]:
    driver = make_driver(tmp_path / "chromium-profile", width=DESKTOP[0], height=DESKTOP[1])
    driver.set_script_timeout(60)
    try:
        yield Console(driver, console_stack.url("search"))
    finally:
        driver.quit()


def issue_key(api: E2E, *, label: str, role: str, member: str | None = None) -> str:
    """A per-person key through ``POST /v1/keys`` as the root key (the centre's first step)."""
    body: dict[str, Any] = {"label": label, "role": role}
    if member:
        body["member"] = member

    def attempt() -> Any:
        response = api.http.post(f"{api.s.url('ingest')}/v1/keys", json=body, headers=api.admin)
        return None if response.status_code == 404 else response

    from tests.e2e.conftest import poll

    response = poll(attempt, timeout=30, what=f"ingest to know member {member}")
    assert response.status_code == 201, response.text
    return response.json()["token"]
