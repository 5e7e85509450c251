"""``/docs`` renders with no network: Debian's Chromium, driven by Playwright, loads the page
from ``portside serve`` with every request to a host other than loopback refused, and Swagger
UI shows every operation of the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.browser import offline_context
from tests.support.services import base_env, start_portside

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
    with offline_context(1280, 900) as (context, refused):
        page = context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        shown = page.locator(".opblock").count()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert refused == []  # nothing was even asked of another host
    assert failed == []
    assert shown == operations
