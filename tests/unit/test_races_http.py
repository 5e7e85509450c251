"""The race routes in process, on the embedded default (10-second races for the test)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from domain.races.model import RaceRules
from entrypoints.composition import compose
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(compose(Settings(race_seconds=10, race_classes=(1, 2))))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portside.test") as c:
        yield c


RULES = RaceRules(race_seconds=10, classes=(1, 2))
RACE = RULES.slot(time.time_ns() // 1_000_000)  # the current 10-second race
OLD = RACE - 100  # ended 1,000 s ago: its racers are finished as their messages arrive


def message(racer: int, second: int, cadence: Any = 80, **extra: Any) -> dict[str, Any]:
    return {"classId": 1, "raceId": extra.pop("raceId", RACE), "racerId": racer, "second": second,
            "cadence": cadence, "resistance": 78, "event": "update", **extra}  # fmt: skip


async def test_a_batch_is_processed_before_the_answer(client: httpx.AsyncClient) -> None:
    batch = [message(1, 1, name="Ada"), message(1, 1), message(2, 1, cadence=90.5), {"x": 1}]
    response = await client.post("/races/events", json={"messages": batch})
    assert response.status_code == 202
    assert response.json()["accepted"] == 3
    assert response.json()["errors"][0]["index"] == 3
    live = (await client.get(f"/races/1/{RACE}/live")).json()
    assert (live["classId"], live["raceId"], live["second"]) == (1, RACE, 1)
    # (90.5 + 35) x (78 + 65) / 100 = 179.465, shown half-up to 2 places; Ada's duplicate
    # second counted once.
    assert [(r["rank"], r["racerId"], r["total"]) for r in live["racers"]] == [
        (1, 2, "179.47"),
        (2, 1, "164.45"),
    ]


async def test_results_leaderboard_and_history_agree_with_live(client: httpx.AsyncClient) -> None:
    old = [message(1, 1, raceId=OLD), message(1, 2, raceId=OLD), message(2, 1, raceId=OLD)]
    await client.post("/races/events", json=old)
    live = (await client.get(f"/races/1/{OLD}/live")).json()
    results = (await client.get(f"/races/1/{OLD}/results")).json()
    board = (await client.get("/classes/1/leaderboard?limit=5")).json()
    expected = [(r["rank"], f"racer-{r['racerId']}", r["total"]) for r in live["racers"]]
    assert [(e["rank"], e["member"], e["score"]) for e in results["entries"]] == expected
    assert [(e["rank"], e["member"], e["score"]) for e in board["entries"]] == expected
    history = (await client.get("/classes/1/history")).json()
    assert history["racers"]["1"][:3] == ["164.45", "164.45", None]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "problem"),
    [
        ("GET", "/races/1/99/live", None, 404, "race-not-found"),
        ("GET", "/races/1/99/results", None, 404, "race-not-found"),
        ("GET", "/classes/9/leaderboard", None, 404, "class-not-found"),
        ("GET", "/races/1/7/results?limit=1001", None, 422, "invalid-input"),
        ("POST", "/races/events", {"messages": "nope"}, 422, "invalid-input"),
    ],
)
async def test_errors_use_the_one_shape(
    client: httpx.AsyncClient, method: str, path: str, body: Any, status: int, problem: str
) -> None:
    if path.endswith("results?limit=1001"):
        await client.post("/races/events", json=[message(1, 1)])
    response = await client.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{problem}"


async def test_messages_of_races_long_past_far_ahead_or_past_a_batch_s_share_are_rejected(
    client: httpx.AsyncClient,
) -> None:
    now = time.time_ns() // 1_000_000
    ancient, current = RULES.slot(now - 8 * 86_400_000), RULES.slot(now)  # eight days ago
    batch = [message(1, 1, raceId=ancient), message(2, 1, raceId=current + 5)]
    # Two classes: at most four races in one batch (every class's current and previous).
    batch += [message(3, 1, raceId=current - back) for back in range(5)]
    answer = (await client.post("/races/events", json=batch)).json()
    assert answer["accepted"] == 4
    reasons = {e["index"]: e["reason"] for e in answer["errors"]}
    assert set(reasons) == {0, 1, 6}
    assert "last 7 days" in reasons[0]
    assert "last 7 days" in reasons[1]
    assert "more than 4 races" in reasons[6]
