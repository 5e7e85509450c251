"""The browser app in a real browser (Debian's Chromium driven by Playwright) against
``portside serve`` on the embedded default, with every request to another host refused: a
player signs in, names themselves with markup (shown as text), uploads an avatar and sees it
accepted on the live connection, and looks up a stock's value. Screenshots of each screen are
saved in ``build/app-*.png`` for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import offline_context
from tests.support.images import photo
from tests.support.services import base_env, start_portside

SHOTS = Path(__file__).parents[2] / "build"
MARKUP = "<img src=x onerror=alert(1)>Ann"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start_portside(base_env())
    yield url
    process.stop_gracefully()


@pytest.fixture
def page(server: str) -> Iterator[Page]:
    with offline_context(360, 740) as (context, refused):
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        assert dialogs == []  # no markup ever ran
    assert refused == []


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"app-{name}.png"), full_page=True)


def test_a_player_signs_in_sets_a_name_and_an_avatar(
    server: str, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{server}/app/")
    page.get_by_label("Username").fill("ann")
    shot(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#status")).to_have_text("live: connected as ann", timeout=10_000)
    page.get_by_label("Display name").fill(MARKUP)
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#display-name")).to_have_text(MARKUP)  # text, not HTML
    picture = tmp_path / "me.jpg"
    picture.write_bytes(photo(900, 700))
    page.get_by_label("New avatar (PNG, JPEG or WebP, up to 2 MB)").set_input_files(picture)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#avatar-result")).to_have_text(
        "Your new avatar was accepted.", timeout=15_000
    )
    src = page.locator("img.avatar").get_attribute("src") or ""
    assert src.startswith(f"{server}/avatars/ann/")
    page.wait_for_function("document.querySelector('img.avatar').naturalWidth === 128")
    shot(page, "profile")


def test_a_signed_in_player_looks_up_a_stock(server: str, page: Page) -> None:
    page.goto(f"{server}/app/")
    page.get_by_label("Username").fill("bob")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Stocks").click()
    page.get_by_label("Currencies (comma-separated)").fill("USD,CAD")
    page.get_by_role("button", name="Show value").click()
    table = page.get_by_role("table", name="Value by currency")
    expect(table).to_contain_text("CAD")
    shot(page, "stocks")
    page.get_by_label("Stock").fill("NOPE")
    page.get_by_role("button", name="Show value").click()
    expect(page.get_by_role("alert")).to_contain_text("not found", ignore_case=True)


def test_a_player_plays_a_quiz_and_finds_their_avatar_on_its_board(
    server: str, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{server}/app/")
    page.get_by_label("Username").fill("cy")
    page.get_by_role("button", name="Sign in").click()
    picture = tmp_path / "cy.png"
    picture.write_bytes(photo(600, 600, kind="PNG", seed=3))
    page.get_by_label("New avatar (PNG, JPEG or WebP, up to 2 MB)").set_input_files(picture)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#avatar-result")).to_have_text(
        "Your new avatar was accepted.", timeout=15_000
    )
    page.get_by_role("link", name="Play").click()
    page.get_by_role("link", name="Capitals (geography, by portside)").click()
    page.get_by_label("Capital of Australia?").fill("Canberra")
    page.get_by_label("Ottawa").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.locator("#score")).to_have_text("Score 50.00: 2 of 4")
    board = page.get_by_role("table", name="Leaderboard")
    expect(board).to_contain_text("cy")
    row = board.locator("tr", has_text="cy")
    expect(row.locator("img.thumb")).to_have_count(1)
    src = row.locator("img.thumb").get_attribute("src") or ""
    assert src.startswith(f"{server}/avatars/cy/")
    expect(page.get_by_role("region", name="Answer board")).to_contain_text("Bern")
    shot(page, "play")


def test_a_player_claims_the_daily_coins_once(server: str, page: Page) -> None:
    page.goto(f"{server}/app/")
    page.get_by_label("Username").fill("dee")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Wallet").click()
    expect(page.locator("#balance")).to_have_text("0.00 coins")
    expect(page.locator("#level")).to_have_text("Level 0")
    page.get_by_role("button", name="Claim today's coins").click()
    expect(page.locator("#balance")).to_have_text("200.00 coins")
    page.reload()  # the same day's token again: the first answer, replayed
    page.get_by_role("button", name="Claim today's coins").click()
    expect(page.locator("#grant-result")).to_contain_text("200.00 coins granted")
    expect(page.locator("#balance")).to_have_text("200.00 coins")
    shot(page, "wallet")
