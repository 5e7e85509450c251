"""Live games on real WebSockets, as hosts and players meet them: ``portside serve`` on the
embedded default (200 players at once), and two server processes sharing a real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from adapters.jwt.trivia import DevIdentityProvider
from adapters.memory.trivia import DEMO_HOST, demo_quizzes
from entrypoints.live_players import open_socket, run_players
from tests.support.services import (
    DEV_KEY_FILE,
    LOOPBACK,
    Service,
    base_env,
    start_portside,
    start_redis,
)

pytestmark = pytest.mark.anyio
IDENTITY = DevIdentityProvider(DEV_KEY_FILE)
LIVE_QUIZ = next(q for q in demo_quizzes() if q.quiz_id == "demo-live")
SECRETS = ('"correct"', '"answer"', '"alternatives"', '"followUp"')


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Service]]:
    process, url = start_portside(base_env())
    yield url, process
    process.stop_gracefully()


class Client:
    """One player's socket and every frame it received."""

    def __init__(self, name: str, socket: ClientConnection) -> None:
        self.name, self.socket = name, socket
        self.frames: list[dict[str, Any]] = []
        self._taken: set[int] = set()

    async def send(self, **frame: Any) -> None:
        await self.socket.send(json.dumps(frame))

    async def until(self, kind: str, action: str | None = None) -> dict[str, Any]:
        """The first frame not yet taken of ``kind`` (or the error answering ``action``),
        whether it arrived already or is still to come."""
        at = 0
        while True:
            for index in range(at, len(self.frames)):
                frame = self.frames[index]
                error = frame["type"] == "error" and frame.get("action") == action
                if index not in self._taken and (frame["type"] == kind or error):
                    self._taken.add(index)
                    return frame
            at = len(self.frames)
            self.frames.append(json.loads(await asyncio.wait_for(self.socket.recv(), 30)))


async def clients(url: str, *names: str) -> list[Client]:
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as http:
        ws = "ws" + url.removeprefix("http")

        async def one(name: str) -> Client:
            return Client(name, await open_socket(http, ws, IDENTITY.issue(name)))

        opened: list[Client] = []
        for start in range(0, len(names), 50):
            opened += await asyncio.gather(*(one(n) for n in names[start : start + 50]))
        return opened


async def test_200_players_answer_a_live_question_at_once_and_exactly_one_scores(
    server: tuple[str, Service],
) -> None:
    url, _ = server
    (host,) = await clients(url, DEMO_HOST)
    await host.send(action="host", quizId="demo-live", questionSeconds=60)
    game = (await host.until("hosted"))["gameId"]
    players = await clients(url, *(f"racer-{n:03d}" for n in range(200)))
    for player in players:
        await player.send(action="join", gameId=game)
    await asyncio.gather(*(p.until("joined") for p in players))
    await players[0].send(action="start", gameId=game)  # a player's host command: refused
    refused = await players[0].until("started", "start")
    assert (refused["type"], refused["code"]) == ("error", "not-host")
    await host.send(action="start", gameId=game)
    await asyncio.gather(*(p.until("started") for p in players))
    await host.send(action="ask", gameId=game)
    questions = await asyncio.gather(*(p.until("question") for p in players))
    number = questions[0]["questions"][0]["number"]
    right = LIVE_QUIZ.content.questions[number - 1].correct
    seen_before_close = json.dumps([p.frames for p in players])
    assert not any(word in seen_before_close for word in SECRETS)
    for player in players:  # every answer on its way before any reply is read
        await player.send(action="answer", gameId=game, questionNumber=number, answer=right)
    replies = await asyncio.gather(*(p.until("answerReceived", "answer") for p in players))
    accepted = [p.name for p, r in zip(players, replies, strict=True) if r["type"] != "error"]
    assert len(accepted) == 1
    assert {r["code"] for r in replies if r["type"] == "error"} == {"question-closed"}
    boards = await asyncio.gather(*(p.until("scoreboard") for p in players))
    for player in players:
        firsts = [f for f in player.frames if f["type"] == "firstCorrect"]
        assert [f["player"] for f in firsts] == accepted  # the same single winner, to all
    assert {sum(e["score"] for e in b["entries"]) for b in boards} == {1}
    late = players[-1]
    await late.send(action="answer", gameId=game, questionNumber=number, answer=right)
    assert (await late.until("answerReceived", "answer"))["code"] == "question-closed"
    await host.send(action="end", gameId=game)
    finals = await asyncio.gather(*(p.until("final") for p in players))
    assert {tuple(f["winners"]) for f in finals} == {tuple(accepted)}
    for client in [host, *players]:
        await client.socket.close()


async def test_the_load_tool_plays_each_demo_mode_to_the_end(server: tuple[str, Service]) -> None:
    url, _ = server
    for quiz in ("demo-casual", "demo-competitive", "demo-live"):
        summary = await run_players(
            url, 12, IDENTITY.issue, host_quiz=quiz, question_seconds=5, seed=3
        )
        assert (summary["joined"], summary["questions"]) == (12, 4)
        assert summary["framesWithAnswersBeforeClose"] == 0
        assert summary["answers"] == 48
        assert summary["accepted"] + sum(summary["refused"].values()) == 48
        if quiz == "demo-live":
            assert set(summary["refused"]) <= {"question-closed"}
            assert len(summary["firstCorrect"]) <= 4
        else:
            assert summary["refused"] == {}


async def test_an_invalid_ticket_is_closed_with_4401_and_no_logged_url_has_a_query(
    server: tuple[str, Service],
) -> None:
    url, process = server
    ws = "ws" + url.removeprefix("http")
    for ticket in ("forged", "x" * 100):
        async with connect(f"{ws}/ws/trivia?ticket={ticket}") as socket:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401
    (used,) = await clients(url, "ann")  # its ticket is spent now
    await used.socket.close()
    assert process.log is not None
    log = process.log.read_text()
    assert "/ws/trivia" in log
    assert "ticket=" not in log
    assert "forged" not in log


async def test_two_server_processes_share_one_game_through_redis() -> None:
    redis = start_redis()
    env = base_env(REDIS_URL=f"redis://{LOOPBACK}:{redis.port}/0")
    (one, url_one), (two, url_two) = start_portside(env), start_portside(env)
    try:
        (host,) = await clients(url_one, DEMO_HOST)
        await host.send(action="host", quizId="demo-casual", questionSeconds=30)
        game = (await host.until("hosted"))["gameId"]
        far = await clients(url_two, *(f"far-{n}" for n in range(10)))
        near = await clients(url_one, "near-0", "near-1")
        everyone = far + near
        for player in everyone:
            await player.send(action="join", gameId=game)
            await player.until("joined")
        await host.send(action="start", gameId=game)
        await asyncio.gather(*(p.until("started") for p in everyone))
        await host.send(action="ask", gameId=game)
        asked = await asyncio.gather(*(p.until("question") for p in everyone))
        number = asked[0]["questions"][0]["number"]
        for player in everyone:
            await player.send(action="answer", gameId=game, questionNumber=number, answer=1)
        await asyncio.gather(*(p.until("answerReceived", "answer") for p in everyone))
        await host.send(action="chat", channel=f"game:{game}", text="well played")
        await asyncio.gather(*(p.until("chat") for p in everyone))
        await host.send(action="close", gameId=game)
        await asyncio.gather(*(p.until("closed") for p in everyone))
        await host.send(action="end", gameId=game)
        finals = await asyncio.gather(*(p.until("final") for p in everyone))
        assert all(len(f["entries"]) == 12 for f in finals)
        kinds = [[f["type"] for f in p.frames] for p in everyone]
        for seen in kinds:
            assert seen.count("question") == seen.count("closed") == seen.count("final") == 1
        async with httpx.AsyncClient(base_url=url_two) as http:
            answer = await http.get(
                f"/live-games/{game}/results",
                headers={"Authorization": f"Bearer {IDENTITY.issue('far-3')}"},
            )
        assert answer.status_code == 200
        assert answer.json()["total"] == 12
        for client in [host, *everyone]:
            await client.socket.close()
    finally:
        # each stopped even when another's stop fails (a leaked process fails later tests)
        with contextlib.ExitStack() as stops:
            stops.callback(redis.stop)
            stops.callback(two.stop_gracefully)
            one.stop_gracefully()
