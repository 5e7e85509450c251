"""The use cases of hosted live games, over the live-game store.

Each host action reads the game, applies the rule (``domain.trivia.live``) and saves it as a
versioned write, read again and retried when an answer or another action saved first; an
answer is one atomic step of the store. A question past its deadline refuses answers but is
closed only by ``expire``, whose caller announces the reveals (``domain.trivia.sessions``
calls it before every action and from its sweep). What each action returns is what its
transport sends: to whom is the transport's business.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from domain.shared.retry import Retry
from domain.shared.time import to_millis
from domain.trivia.errors import (
    QuizNotFoundError,
    StaleLiveGameError,
    UnknownGameError,
)
from domain.trivia.live import (
    QUESTION_SECONDS,
    AnswerOutcome,
    LiveGame,
    PublicQuestion,
    Reveal,
    Standing,
)
from domain.trivia.model import QuizContent
from ports.shared import Clock
from ports.trivia import LiveGameStore, QuizStore

T = TypeVar("T")
#: Games whose quiz copy a process keeps for judging answers (the oldest dropped first).
CONTENTS_KEPT = 1024
#: Tries of a host action that lost to a concurrent save (answers keep saving meanwhile).
SAVE_RETRY = Retry(attempts=20, base=0.001, cap=0.05)


def new_game_id() -> str:
    """Random and unguessable: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


class LiveGameService:
    """Hosting, joining and playing live games (see the module docstring)."""

    def __init__(self, games: LiveGameStore, quizzes: QuizStore, clock: Clock) -> None:
        self._games = games
        self._quizzes = quizzes
        self._clock = clock
        self._contents: dict[str, QuizContent] = {}

    def now(self) -> int:
        return to_millis(self._clock.now())

    async def host(
        self, by: str, quiz_id: str, question_seconds: int = QUESTION_SECONDS
    ) -> LiveGame:
        """A new game of ``by``'s quiz, from a copy of it taken now."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None:
            raise QuizNotFoundError(quiz_id)
        game = LiveGame.hosted(new_game_id(), quiz, by, question_seconds, self.now())
        await self._games.create(game)
        return game

    async def game(self, game_id: str) -> LiveGame:
        game = await self._games.get(game_id)
        if game is None:
            raise UnknownGameError(game_id)
        return game

    async def join(self, player: str, game_id: str) -> tuple[LiveGame, bool]:
        """Join (or rejoin, or the host coming back): the game as it now stands, and whether
        the host's coming back resumed it."""
        game = await self.game(game_id)
        if player != game.host:  # one atomic step, as many players join at once
            await self._games.add_player(game_id, player)
            return await self.game(game_id), False
        now = self.now()

        def join(game: LiveGame) -> tuple[LiveGame, bool]:
            return game, game.join(player, now)

        return await self._act(game_id, join)

    async def host_left(self, game_id: str) -> None:
        now = self.now()
        await self._act(game_id, lambda game: game.host_left(now))

    async def start(self, by: str, game_id: str) -> None:
        await self._act(game_id, lambda game: game.start(by))

    async def ask(self, by: str, game_id: str) -> tuple[list[PublicQuestion], int]:
        now = self.now()
        return await self._act(game_id, lambda game: game.ask(by, now))

    async def close(self, by: str, game_id: str) -> list[Reveal]:
        return await self._act(game_id, lambda game: game.close(by))

    async def expire(self, game_id: str) -> list[Reveal] | None:
        """Close the open question(s) past their deadline (the timer's, or the sweep's): the
        reveals, to the one caller whose save closed them; None (nothing saved) else."""
        now = self.now()
        return await self._act(game_id, lambda game: game.expire(now), unless=None)

    async def scoreboard(self, by: str, game_id: str) -> list[Standing]:
        return await self._act(game_id, lambda game: game.scoreboard(by))

    async def end(self, by: str | None, game_id: str) -> tuple[list[Standing], list[str]]:
        """End the game (``by`` None: the host's grace is over); the live state stays until
        the end has been recorded and announced (``forget``)."""
        return await self._act(game_id, lambda game: game.end(by))

    async def forget(self, game_id: str) -> None:
        await self._games.delete(game_id)

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[LiveGame], str | None]:
        """Games not yet over, oldest first, a page at a time."""
        ids, after = await self._games.listed(limit, cursor)
        found = [await self._games.get(game_id) for game_id in ids]
        return [game for game in found if game is not None], after

    async def answer(
        self, player: str, game_id: str, number: int, response: int | str
    ) -> AnswerOutcome:
        """A player's answer: judged against the game's copy of the quiz, then taken in one
        atomic step of the store (in live mode the first correct one wins)."""
        content = self._contents.get(game_id)
        if content is None:
            # A game's copy of its quiz never changes: read once per process, not per answer
            # (a whole game's read grows with its players).
            content = (await self.game(game_id)).content
            if len(self._contents) >= CONTENTS_KEPT:
                self._contents.pop(next(iter(self._contents)))
            self._contents[game_id] = content
        correct = content.accepts(number, response)
        return await self._games.record_answer(game_id, player, number, correct, self.now())

    async def _act(
        self, game_id: str, action: Callable[[LiveGame], T], *, unless: object = ...
    ) -> T:
        """Apply ``action`` and save it, read again and retried when another save came
        first; a result equal to ``unless`` changed nothing and is not saved."""
        for attempt in range(SAVE_RETRY.attempts):
            game = await self.game(game_id)
            result = action(game)
            if result is unless:
                return result
            try:
                await self._games.save(game)
                return result
            except StaleLiveGameError:
                if attempt + 1 == SAVE_RETRY.attempts:
                    raise
                await SAVE_RETRY.pause(attempt)
        raise AssertionError("attempts must be at least 1")
