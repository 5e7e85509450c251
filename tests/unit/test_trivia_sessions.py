"""The live-game protocol (``domain.trivia.sessions``) on the embedded default's composition,
with a manual clock: each player is a connection whose frames land in a list, as the local
WebSocket endpoint's queue would take them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory.trivia import DEMO_HOST
from domain.trivia.sessions import CHAT_KEEP, LiveSessions
from entrypoints.composition import Composition
from entrypoints.settings import Settings
from tests.support.fakes import ManualClock

pytestmark = pytest.mark.anyio
START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SECRET_WORDS = ("correct", "answer", "alternatives", "followUp")


class Table:
    """A composition's live sessions and the connections a test opened on them."""

    def __init__(self, composition: Composition, clock: ManualClock) -> None:
        self.composition = composition
        self.clock = clock
        self.live = composition.live
        self.sessions: LiveSessions = self.live.sessions
        self.inbox: dict[str, list[dict[str, Any]]] = {}

    async def connect(self, player: str, connection_id: str | None = None) -> str:
        connection_id = connection_id or f"c-{player}-{len(self.inbox)}"
        ticket, _ = await self.sessions.ticket(player)
        assert await self.sessions.connect(connection_id, ticket, self.live.node) == player
        received = self.inbox.setdefault(connection_id, [])
        assert self.live.local is not None
        self.live.local.register(
            connection_id, lambda frame: received.append(json.loads(frame)) is None
        )
        await self.sessions.greet(connection_id)
        return connection_id

    async def send(self, connection_id: str, **frame: Any) -> list[dict[str, Any]]:
        """Send one frame; what that connection received because of it."""
        before = len(self.inbox[connection_id])
        await self.sessions.receive(connection_id, json.dumps(frame))
        return self.inbox[connection_id][before:]

    def last(self, connection_id: str) -> dict[str, Any]:
        return self.inbox[connection_id][-1]

    def types(self, connection_id: str) -> list[str]:
        return [m["type"] for m in self.inbox[connection_id]]

    async def hosted(self, quiz_id: str, *players: str, seconds: int = 10) -> str:
        host = await self.connect(DEMO_HOST, "c-host")
        (reply,) = await self.send(host, action="host", quizId=quiz_id, questionSeconds=seconds)
        game_id: str = reply["gameId"]
        for player in players:
            await self.send(
                await self.connect(player, f"c-{player}"), action="join", gameId=game_id
            )
        return game_id


@pytest.fixture
async def table() -> AsyncIterator[Table]:
    composition = Composition(Settings())
    clock = ManualClock(START)
    composition.clock = clock
    yield Table(composition, clock)
    await composition.aclose()


async def test_a_casual_game_from_lobby_to_final_board_and_progress(table: Table) -> None:
    game = await table.hosted("demo-casual", "ann", "bob")
    assert [m["player"] for m in table.inbox["c-host"] if m["type"] == "playerJoined"] == [
        "ann", "bob",
    ]  # fmt: skip
    joined = next(m for m in table.inbox["c-bob"] if m["type"] == "joined")
    assert (joined["players"], joined["state"], joined["host"]) == (["ann", "bob"], "lobby", "host")
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)
    question = table.last("c-ann")
    assert question["type"] == "question"
    assert question["questions"][0]["number"] == 1
    assert question["closesAt"] == int(START.timestamp() * 1000) + 10_000
    assert await table.send("c-ann", action="answer", gameId=game, questionNumber=1, answer=1) == [
        {"type": "answerReceived", "gameId": game, "questionNumber": 1}
    ]
    (again,) = await table.send("c-ann", action="answer", gameId=game, questionNumber=1, answer=0)
    assert (again["type"], again["code"]) == ("error", "already-answered")
    await table.send("c-bob", action="answer", gameId=game, questionNumber=1, answer=0)
    await table.send("c-host", action="close", gameId=game)
    assert table.last("c-bob") == {
        "type": "closed", "gameId": game, "questions": [{"number": 1, "correct": 1}],
    }  # fmt: skip
    (late,) = await table.send("c-bob", action="answer", gameId=game, questionNumber=1, answer=1)
    assert late["code"] == "question-closed"
    await table.send("c-host", action="scoreboard", gameId=game)
    assert table.last("c-ann")["entries"] == [
        {"rank": 1, "player": "ann", "score": 1}, {"rank": 2, "player": "bob", "score": 0},
    ]  # fmt: skip
    await table.send("c-host", action="end", gameId=game)
    final = table.last("c-bob")
    assert (final["type"], final["winners"]) == ("final", ["ann"])
    assert (await table.sessions.listed(10, None))[0] == []  # unlisted, live state gone
    (gone,) = await table.send("c-ann", action="ask", gameId=game)
    assert gone["code"] == "game-ended"

    trivia = table.composition.trivia
    results = await trivia.live_results(game, "bob")
    assert [(e.entry.member, e.entry.score) for e in results.entries] == [("ann", 1), ("bob", 0)]
    for _ in range(200):  # the in-process bus delivers after publish returns
        if (await trivia.progress("ann")).wins == 1:
            break
        await asyncio.sleep(0.01)
    ann, bob, host = [await trivia.progress(p) for p in ("ann", "bob", DEMO_HOST)]
    assert (ann.experience, ann.wins, bob.wins) == (1, 1, 0)
    assert (host.experience, host.wins) == (0, 0)  # no royalty for a live game


async def test_no_message_holds_an_answer_before_its_question_closes(table: Table) -> None:
    game = await table.hosted("demo-competitive", "ann")
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)  # a round of two questions
    assert [q["number"] for q in table.last("c-ann")["questions"]] == [1, 2]
    rejoin = await table.connect("ann", "c-ann-again")
    joined, _history = await table.send(rejoin, action="join", gameId=game)
    assert joined["state"] == "question"
    assert len(joined["question"]["questions"]) == 2
    before_close = json.dumps(table.inbox["c-ann"] + table.inbox[rejoin])
    assert not any(f'"{word}"' in before_close for word in SECRET_WORDS)
    await table.send("c-host", action="close", gameId=game)
    assert [q["number"] for q in table.last("c-ann")["questions"]] == [1, 2]
    assert all("correct" in q for q in table.last("c-ann")["questions"])


async def test_the_host_alone_drives_the_game_and_bad_frames_change_nothing(table: Table) -> None:
    game = await table.hosted("demo-casual", "ann", "bob")
    bob_before = len(table.inbox["c-bob"])
    frames: list[tuple[str | bytes, str]] = [
        ("not json", "invalid-frame"),
        ("[1, 2]", "invalid-frame"),
        (json.dumps({"action": "dance"}), "unknown-action"),
        (json.dumps({"action": "start"}), "invalid-frame"),
        (json.dumps({"action": "start", "gameId": game}), "not-host"),
        (json.dumps({"action": "end", "gameId": game}), "not-host"),
        (json.dumps({"action": "join", "gameId": "no-such-game"}), "unknown-game"),
        (json.dumps({"action": "answer", "gameId": game, "questionNumber": 1, "answer": 1}),
         "game-not-started"),
        (json.dumps({"action": "chat", "channel": "game:other", "text": "hi"}), "not-in-game"),
        (json.dumps({"action": "chat", "channel": "global", "text": "   "}), "invalid-frame"),
        (json.dumps({"action": "chat", "channel": "global", "text": "x" * 501}), "invalid-frame"),
        ("{" + '"a":1,' * 2000 + '"action":"start"}', "invalid-frame"),  # over 8 KB
        (b"\xff\xfe", "invalid-frame"),
    ]  # fmt: skip
    for frame, code in frames:
        before = len(table.inbox["c-ann"])
        await table.sessions.receive("c-ann", frame)
        (reply,) = table.inbox["c-ann"][before:]
        assert (reply["type"], reply["code"]) == ("error", code), frame
    assert len(table.inbox["c-bob"]) == bob_before  # nobody else heard a thing
    game_now = await table.sessions.listed(10, None)
    assert [(g.state.value, g.started) for g in game_now[0]] == [("lobby", False)]


async def test_a_live_question_goes_to_the_first_correct_answer_only(table: Table) -> None:
    players = [f"p{i}" for i in range(30)]
    game = await table.hosted("demo-live", *players)
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)
    await asyncio.gather(
        *(
            table.sessions.receive(
                f"c-{p}",
                json.dumps({"action": "answer", "gameId": game, "questionNumber": 1, "answer": 1}),
            )
            for p in players
        )
    )
    firsts = [m for m in table.inbox["c-host"] if m["type"] == "firstCorrect"]
    assert len(firsts) == 1
    board = [m for m in table.inbox["c-p0"] if m["type"] == "scoreboard"][-1]
    assert sum(e["score"] for e in board["entries"]) == 1
    assert board["entries"][0]["player"] == firsts[0]["player"]
    refused = [m for p in players for m in table.inbox[f"c-{p}"] if m["type"] == "error"]
    assert len(refused) == len(players) - 1
    assert {m["code"] for m in refused} == {"question-closed"}


async def test_the_deadline_closes_the_question_through_the_sweep(table: Table) -> None:
    game = await table.hosted("demo-casual", "ann", seconds=5)
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)
    table.clock.advance(timedelta(seconds=5))
    closed, late = await table.send(
        "c-ann", action="answer", gameId=game, questionNumber=1, answer=1
    )
    # the refused answer found the clock behind: the close is announced first, once
    assert (closed["type"], late["code"]) == ("closed", "question-closed")
    assert table.types("c-ann").count("closed") == 1
    await table.sessions.sweep()
    assert table.types("c-ann").count("closed") == 1
    await table.send("c-host", action="ask", gameId=game)
    table.clock.advance(timedelta(seconds=4))
    await table.sessions.sweep()
    assert table.types("c-ann").count("closed") == 1  # not yet
    table.clock.advance(timedelta(seconds=1))
    await table.sessions.sweep()  # nobody answered: the timer alone closes it
    assert table.types("c-ann").count("closed") == 2
    assert table.last("c-ann")["questions"][0]["number"] == 2


async def test_the_host_leaving_pauses_the_game_and_the_grace_ends_it(table: Table) -> None:
    game = await table.hosted("demo-casual", "ann")
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)
    await table.sessions.disconnect("c-host")
    assert table.last("c-ann") == {"type": "paused", "gameId": game}
    (paused,) = await table.send("c-ann", action="answer", gameId=game, questionNumber=1, answer=1)
    assert paused["code"] == "not-allowed"
    table.clock.advance(timedelta(seconds=60))
    await table.sessions.sweep()  # the deadline stands still while paused
    assert "closed" not in table.types("c-ann")
    back = await table.connect(DEMO_HOST, "c-host-back")
    await table.send(back, action="join", gameId=game)
    assert table.last("c-ann") == {"type": "resumed", "gameId": game}
    await table.sessions.disconnect(back)
    table.clock.advance(timedelta(seconds=120))
    await table.sessions.sweep()
    assert table.last("c-ann")["type"] == "final"
    assert (await table.sessions.listed(10, None))[0] == []


async def test_an_interrupted_end_is_finished_by_the_sweep_and_credited_once(
    table: Table,
) -> None:
    game = await table.hosted("demo-live", "ann", "bob")
    await table.send("c-host", action="start", gameId=game)
    await table.send("c-host", action="ask", gameId=game)
    await table.send("c-ann", action="answer", gameId=game, questionNumber=1, answer=1)
    games = table.live.games
    await games.end(DEMO_HOST, game)  # saved as ended, then the process died: not recorded
    ended = await games.game(game)
    assert "final" not in table.types("c-ann")
    await table.sessions.sweep()
    assert table.last("c-ann")["winners"] == ["ann"]
    trivia = table.composition.trivia
    for _ in range(2):  # the end recorded again: a redelivery
        await trivia.record_live_game(ended, ended.standings(), ["ann"])
    for _ in range(200):
        if (await trivia.progress("ann")).wins:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # and every redelivered event has arrived
    ann, bob = await trivia.progress("ann"), await trivia.progress("bob")
    assert (ann.experience, ann.wins, bob.experience, bob.wins) == (1, 1, 0, 0)


async def test_chat_keeps_the_last_messages_and_limits_the_rate(table: Table) -> None:
    ann = await table.connect("ann")
    bob = await table.connect("bob")
    for n in range(5):
        await table.send(ann, action="chat", channel="global", text=f" hello {n} ")
    assert table.last(bob) == {
        "type": "chat", "channel": "global", "from": "ann", "text": "hello 4",
        "at": int(START.timestamp() * 1000),
    }  # fmt: skip
    (limited,) = await table.send(ann, action="chat", channel="global", text="more")
    assert limited["code"] == "rate-limited"
    table.clock.advance(timedelta(seconds=10))
    for n in range(CHAT_KEEP):
        table.clock.advance(timedelta(seconds=3))
        await table.send(bob, action="chat", channel="global", text=f"m{n}")
    cy = await table.connect("cy")
    (history,) = table.inbox[cy]
    assert history["type"] == "chatHistory"
    assert len(history["messages"]) == CHAT_KEEP
    assert history["messages"][-1]["text"] == f"m{CHAT_KEEP - 1}"


async def test_a_ticket_works_once_and_not_after_30_seconds(table: Table) -> None:
    sessions = table.sessions
    ticket, expires_at = await sessions.ticket("ann")
    assert expires_at == int(START.timestamp() * 1000) + 30_000
    assert await sessions.connect("one", ticket, None) == "ann"
    assert await sessions.connect("two", ticket, None) is None
    stale, _ = await sessions.ticket("ann")
    table.clock.advance(timedelta(seconds=30))
    assert await sessions.connect("three", stale, None) is None
    assert await sessions.connect("four", "x" * 500, None) is None


async def test_a_connection_plays_one_running_game_at_a_time(table: Table) -> None:
    first = await table.hosted("demo-casual", "ann")
    (again,) = await table.send("c-host", action="host", quizId="demo-live")
    assert (again["code"], again["action"]) == ("not-allowed", "host")
    other = await table.connect(DEMO_HOST, "c-host-2")
    (second,) = await table.send(other, action="host", quizId="demo-live")
    (moving,) = await table.send("c-ann", action="join", gameId=second["gameId"])
    assert moving["code"] == "not-allowed"
    await table.send("c-host", action="end", gameId=first)
    joined, _history = await table.send("c-ann", action="join", gameId=second["gameId"])
    assert joined["type"] == "joined"  # the first game is over: on to the next
    (over,) = await table.send("c-ann", action="answer", gameId=first, questionNumber=1, answer=1)
    assert over["code"] == "game-ended"
    (never,) = await table.send("c-ann", action="ask", gameId="never-was")
    assert never["code"] == "unknown-game"


async def test_a_bad_field_is_refused_naming_the_action(table: Table) -> None:
    ann = await table.connect("ann")
    frames = [
        {"action": "host", "quizId": "demo-live", "questionSeconds": "10"},
        {"action": "chat", "channel": "global"},
        {"action": "answer", "gameId": "g", "questionNumber": 1.5, "answer": 1},
    ]
    for frame in frames:
        (reply,) = await table.send(ann, **frame)
        assert (reply["code"], reply["action"]) == ("invalid-frame", frame["action"])
    (unknown,) = await table.send(ann, action="dance")
    assert "action" not in unknown  # not one of ours
