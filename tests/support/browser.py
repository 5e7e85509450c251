"""A real browser with no network: Debian's Chromium (Playwright's own download is not
available here), driven by Playwright, every request to a host other than loopback refused
and recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextlib.contextmanager
def offline_context(width: int, height: int) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A browser context of that viewport, and the URLs it was refused (it asked another
    host); closed on exit."""
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
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route("**/*", only_loopback)
            yield context, refused
        finally:
            browser.close()
