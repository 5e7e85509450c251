"""``/docs`` renders with no network: Debian's Chromium, driven by Playwright, loads the page
from ``portside serve`` with every request to a host other than loopback refused, and Swagger
UI shows every operation of the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Route, sync_playwright

from tests.support.services import base_env, start_portside

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SCREENSHOT = Path(__file__).parents[2] / "build" / "docs-offline.png"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start_portside(base_env())
    yield url
    process.stop_gracefully()


def test_docs_render_every_operation_offline(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    refused: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.context.route("**/*", only_loopback)
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(f"{server}/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            shown = page.locator(".opblock").count()
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
    assert refused == []  # nothing was even asked of another host
    assert failed == []
    assert shown == operations
