"""GET /leaderboards/{board} in process, on the embedded default's demo board."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from domain.leaderboards.model import Policy
from domain.trivia.service import QUIZ_BOARD_READERS
from entrypoints.composition import compose
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    composition = compose(Settings())
    # A quiz's board, made as a play makes it: signed-in readers only (through trivia's API).
    await composition.leaderboards.create_board(
        "trivia-demo-1", Policy.BEST, visibility=QUIZ_BOARD_READERS
    )
    transport = httpx.ASGITransport(app=create_app(composition))
    async with httpx.AsyncClient(transport=transport, base_url="http://portside.test") as c:
        yield c


async def test_a_page_with_ranks_ties_and_me(client: httpx.AsyncClient) -> None:
    response = await client.get("/leaderboards/class-3", params={"limit": 3, "member": "racer-109"})
    assert response.status_code == 200
    body = response.json()
    assert body["board"] == "class-3"
    assert body["total"] == 12
    assert [(e["rank"], e["member"], e["score"]) for e in body["entries"]] == [
        (1, "racer-101", "9125.40"),
        (2, "racer-102", "8790.15"),  # tied, and earlier
        (2, "racer-103", "8790.15"),
    ]
    assert body["entries"][0]["achievedAt"] == "2026-11-20T09:12:00.000Z"
    assert body["entries"][0]["display"] == {"name": "Ada"}
    assert (body["me"]["rank"], body["me"]["member"]) == (8, "racer-109")


async def test_offset_pages_and_a_member_not_on_the_board(client: httpx.AsyncClient) -> None:
    body = (await client.get("/leaderboards/class-3?limit=2&offset=7&member=nobody")).json()
    assert [(e["rank"], e["member"]) for e in body["entries"]] == [
        (8, "racer-108"),
        (8, "racer-109"),
    ]
    assert body["me"] is None


@pytest.mark.parametrize(
    ("path", "status", "problem"),
    [
        ("/leaderboards/unknown-board", 404, "board-not-found"),
        ("/leaderboards/class-3?limit=1001", 422, "invalid-input"),
        ("/leaderboards/class-3?limit=0", 422, "invalid-input"),
        ("/leaderboards/class-3?offset=-1", 422, "invalid-input"),
        ("/leaderboards/class-3?limit=ten", 422, "invalid-input"),
        ("/leaderboards/class-3?member=not%20valid", 422, "invalid-input"),
        ("/leaderboards/bad%20key", 422, "invalid-input"),
        ("/leaderboards/trivia-unplayed", 404, "board-not-found"),
        ("/leaderboards/trivia-demo-1", 401, "sign-in-required"),
    ],
)
async def test_errors_use_the_one_shape(
    client: httpx.AsyncClient, path: str, status: int, problem: str
) -> None:
    response = await client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{problem}"
    if status == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="portside"'
