"""``portside trivia players``: simulated players of a live game over real WebSockets.

Each player gets a development token (as ``dev-token``), a ticket from ``POST /live/tickets``,
connects to ``/ws/trivia``, joins, and answers every question (a random option or word, after
a think time). With ``--host QUIZ_ID`` the tool also hosts the quiz and drives the game: start;
per question (or round) ask, wait for every answer or the deadline, close, scoreboard, and
the next once everyone has seen it; end. A progress bar goes to stderr, the summary (JSON,
with the broadcast latency from each ``ask`` to each player's ``question``) to stdout.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

#: Bounds every wait for a frame, so a lost server never hangs the tool.
FRAME_TIMEOUT = 60.0
GUESSES = ("Paris", "Lambda", "blue", "42", "yes")
#: What a question frame must never hold before its question closes.
SECRET_KEYS = ("correct", "answer", "alternatives", "followUp")


@dataclass
class Summary:
    game_id: str = ""
    players: int = 0
    joined: int = 0
    questions: int = 0
    answers: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    first_correct: list[str] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    #: Per ``ask``: how long until its last player had the question (the broadcast's end).
    last_player_ms: dict[int, float] = field(default_factory=dict)
    leaked: int = 0

    def report(self) -> dict[str, Any]:
        def stats(values: list[float]) -> dict[str, float | int | None]:
            ordered = sorted(values)
            if not ordered:
                return {"p50": None, "p99": None, "max": None, "samples": 0}
            p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
            return {
                "p50": round(statistics.median(ordered), 2),
                "p99": round(p99, 2),
                "max": round(ordered[-1], 2),
                "samples": len(ordered),
            }

        return {
            "gameId": self.game_id,
            "players": self.players,
            "joined": self.joined,
            "questions": self.questions,
            "answers": self.answers,
            "accepted": self.accepted,
            "refused": self.refused,
            "firstCorrect": self.first_correct,
            "winners": self.winners,
            "broadcastMs": stats(self.latencies_ms),
            "lastPlayerMs": stats(list(self.last_player_ms.values())),
            "framesWithAnswersBeforeClose": self.leaked,
        }


class Progress:
    """A one-line progress bar on stderr (only when it is a terminal, or when asked)."""

    def __init__(self, total: int, show: bool) -> None:
        self._total, self._show, self._done = max(total, 1), show, 0

    def step(self, label: str, done: int | None = None) -> None:
        self._done = self._done + 1 if done is None else done
        if self._show:
            filled = int(30 * self._done / self._total)
            bar = "#" * filled + "." * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {self._done}/{self._total} {label:<24}")
            sys.stderr.flush()

    def close(self) -> None:
        if self._show:
            sys.stderr.write("\n")


async def open_socket(client: httpx.AsyncClient, ws_url: str, token: str) -> ClientConnection:
    answer = await client.post("/live/tickets", headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    # A roomy receive queue: a client that reads late (the host skipping ``playerJoined``
    # frames) must not stop reading the socket, or its close would wait for the timeout.
    url = f"{ws_url}/ws/trivia?ticket={answer.json()['ticket']}"
    socket = await connect(url, max_queue=4096, close_timeout=5)
    await expect(socket, "chatHistory")  # the global channel's history comes first
    return socket


async def expect(
    socket: ClientConnection, kind: str, action: str | None = None, summary: Summary | None = None
) -> dict[str, Any]:
    """The next frame of ``kind``, or the error answering ``action``; the frames before it
    skipped (a ``firstCorrect`` among them counted in ``summary``)."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), FRAME_TIMEOUT))
        if frame["type"] == "firstCorrect" and summary is not None:
            summary.first_correct.append(frame["player"])
        if frame["type"] == kind or (frame["type"] == "error" and frame.get("action") == action):
            return frame


class Player:
    def __init__(self, name: str, socket: ClientConnection, summary: Summary) -> None:
        self.name, self.socket, self.summary = name, socket, summary
        self.answered: asyncio.Event = asyncio.Event()
        self.saw_board: asyncio.Event = asyncio.Event()
        self.asked_at: list[float] = []  # set by the host before each ask

    async def play(self, rng: random.Random, think_ms: tuple[int, int]) -> None:
        """Answer every question until the game's final board (or the socket closes), each
        after a think time drawn from ``think_ms`` (people do not all answer at once)."""
        pending: set[asyncio.Task[None]] = set()
        try:
            await self._play(rng, think_ms, pending)
        finally:
            for task in pending:
                task.cancel()

    async def _answer(
        self, game_id: str, question: dict[str, Any], guess: int | str, pause: float
    ) -> None:
        if pause:
            await asyncio.sleep(pause)
        await self.socket.send(json.dumps({
            "action": "answer", "gameId": game_id,
            "questionNumber": question["number"], "answer": guess,
        }))  # fmt: skip

    async def _play(
        self, rng: random.Random, think_ms: tuple[int, int], pending: set[asyncio.Task[None]]
    ) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "question":
                if self.asked_at:
                    waited = (time.perf_counter() - self.asked_at[-1]) * 1000
                    self.summary.latencies_ms.append(waited)
                    ask = len(self.asked_at)
                    last = self.summary.last_player_ms
                    last[ask] = max(last.get(ask, 0.0), waited)
                if any(k in q for q in frame["questions"] for k in SECRET_KEYS):
                    self.summary.leaked += 1
                for question in frame["questions"]:
                    options = question.get("options")
                    guess: int | str = (
                        rng.randrange(len(options)) if options else rng.choice(GUESSES)
                    )
                    pause = rng.uniform(*think_ms) / 1000
                    task = asyncio.create_task(
                        self._answer(frame["gameId"], question, guess, pause)
                    )
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    self.summary.answers += 1
            elif kind == "answerReceived":
                self.summary.accepted += 1
                self.answered.set()
            elif kind == "error":
                code = frame["code"]
                self.summary.refused[code] = self.summary.refused.get(code, 0) + 1
                self.answered.set()
            elif kind == "scoreboard":
                self.saw_board.set()
            elif kind == "final":
                self.summary.winners = frame["winners"]
                return


async def run_players(
    url: str,
    players: int,
    token_of: Callable[[str], str],
    game_id: str | None = None,
    host_quiz: str | None = None,
    host_user: str = "host",
    question_seconds: int = 30,
    seed: int = 1,
    show_progress: bool = False,
    host_url: str | None = None,
    think_ms: tuple[int, int] = (0, 0),
) -> dict[str, Any]:
    """Play one game with ``players`` simulated players (see the module docstring); the
    summary. ``host_url``: the host connects to another server than the players (several
    processes serving one game)."""
    if (game_id is None) == (host_quiz is None):
        raise ValueError("give a game to join or a quiz to host, not both")
    summary = Summary(players=players)
    rng = random.Random(seed)
    ws_url = "ws" + url.removeprefix("http")
    progress = Progress(players, show_progress)
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client:
        host: ClientConnection | None = None
        if host_quiz is not None:
            host_http = url if host_url is None else host_url
            async with httpx.AsyncClient(base_url=host_http, timeout=10.0) as host_client:
                ws_host = "ws" + host_http.removeprefix("http")
                host = await open_socket(host_client, ws_host, token_of(host_user))
            frame = {"action": "host", "quizId": host_quiz, "questionSeconds": question_seconds}
            await host.send(json.dumps(frame))
            hosted = await expect(host, "hosted", "host")
            if hosted["type"] == "error":
                raise RuntimeError(f"hosting {host_quiz}: {hosted['detail']}")
            game_id, rounds = hosted["gameId"], hosted["rounds"]
        assert game_id is not None
        summary.game_id = game_id
        names = [f"player-{n:04d}" for n in range(1, players + 1)]
        crowd: list[Player] = []

        async def join(name: str) -> None:
            socket = await open_socket(client, ws_url, token_of(name))
            await socket.send(json.dumps({"action": "join", "gameId": game_id}))
            joined = await expect(socket, "joined", "join")
            if joined["type"] == "error":
                raise RuntimeError(f"{name} could not join: {joined['detail']}")
            summary.joined += 1
            crowd.append(Player(name, socket, summary))
            progress.step("joined")

        for start in range(0, players, 50):  # at most 50 handshakes at once
            await asyncio.gather(*(join(n) for n in names[start : start + 50]))
        tasks = [asyncio.create_task(p.play(random.Random(rng.random()), think_ms)) for p in crowd]
        try:
            if host is not None:
                rounds_bar = Progress(rounds, show_progress)
                await _drive(host, game_id, rounds, crowd, summary, question_seconds, rounds_bar)
            await asyncio.wait_for(asyncio.gather(*tasks), FRAME_TIMEOUT * 5)
        finally:
            progress.close()
            for task in tasks:
                task.cancel()
            for player in crowd:
                await player.socket.close()
            if host is not None:
                await host.close()
    return summary.report()


async def _drive(
    host: ClientConnection,
    game_id: str,
    rounds: int,
    crowd: list[Player],
    summary: Summary,
    question_seconds: int,
    progress: Progress,
) -> None:
    async def command(action: str, kind: str) -> dict[str, Any]:
        await host.send(json.dumps({"action": action, "gameId": game_id}))
        reply = await expect(host, kind, action, summary)
        if reply["type"] == "error" and action != "close":
            raise RuntimeError(f"{action}: {reply['detail']}")
        return reply

    async def everyone(events: list[asyncio.Event], seconds: float) -> None:
        waits = [asyncio.create_task(e.wait()) for e in events]
        _, pending = await asyncio.wait(waits, timeout=seconds)
        for wait in pending:
            wait.cancel()

    await command("start", "started")
    for _ in range(rounds):
        for player in crowd:
            player.answered.clear()
            player.saw_board.clear()
        asked = time.perf_counter()
        for player in crowd:
            player.asked_at.append(asked)
        question = await command("ask", "question")
        summary.questions += len(question["questions"])
        await everyone([p.answered for p in crowd], question_seconds + 1)
        # In live mode a first correct answer may have closed it already: the host's close is
        # then refused, and the closed frame seen first is the broadcast one.
        await command("close", "closed")
        await command("scoreboard", "scoreboard")
        # As a host would: the next question once the players have seen the scoreboard.
        await everyone([p.saw_board for p in crowd], FRAME_TIMEOUT)
        progress.step("asked")
    await command("end", "final")
