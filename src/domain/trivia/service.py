"""Trivia use cases: quiz authoring and single-player games."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from domain.shared.time import to_millis
from domain.trivia.errors import GameNotFoundError, NotQuizOwnerError, QuizNotFoundError
from domain.trivia.model import Quiz, ScoredPlay, parse_quiz, parse_responses, score_play
from ports.shared import Clock
from ports.trivia import QuizStore

GAMES_PAGE = 20


class TriviaService:
    """Quizzes belong to their author; players see games without answers and are scored
    here, never by the client."""

    def __init__(self, quizzes: QuizStore, clock: Clock) -> None:
        self._quizzes = quizzes
        self._clock = clock

    # -- authoring --------------------------------------------------------------------------

    async def create(self, owner: str, raw: object) -> Quiz:
        """A new quiz of ``owner`` from its wire shape (InvalidQuizError names bad fields)."""
        content = parse_quiz(raw)
        now = to_millis(self._clock.now())
        quiz = Quiz(uuid.uuid4().hex, owner, content, created_at=now)
        await self._quizzes.put(quiz)
        return quiz

    async def mine(self, owner: str) -> list[Quiz]:
        return await self._quizzes.by_owner(owner)

    async def owned(self, owner: str, quiz_id: str) -> Quiz:
        """The quiz, answers included, for its owner only (403 for anyone else)."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None:
            raise QuizNotFoundError(quiz_id)
        if quiz.owner != owner:
            raise NotQuizOwnerError(quiz_id)
        return quiz

    async def update(self, owner: str, quiz_id: str, raw: object) -> Quiz:
        content = parse_quiz(raw)
        quiz = replace(await self.owned(owner, quiz_id), content=content)
        await self._quizzes.put(quiz)
        return quiz

    async def delete(self, owner: str, quiz_id: str) -> None:
        await self.owned(owner, quiz_id)
        await self._quizzes.delete(quiz_id)

    async def activate(self, owner: str, quiz_id: str) -> Quiz:
        """List the quiz as a game under its category (idempotent)."""
        quiz = replace(await self.owned(owner, quiz_id), active=True)
        await self._quizzes.put(quiz)
        return quiz

    # -- single player ----------------------------------------------------------------------

    async def games(
        self, category: str | None, cursor: str | None, limit: int = GAMES_PAGE
    ) -> tuple[list[Quiz], str | None]:
        return await self._quizzes.active(category or None, limit, cursor or None)

    async def game(self, quiz_id: str) -> Quiz:
        """An active game (callers show it through ``public_questions`` only)."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None or not quiz.active:
            raise GameNotFoundError(quiz_id)
        return quiz

    async def play(self, player: str, quiz_id: str, raw: Any) -> tuple[ScoredPlay, bool]:
        """Score a play server-side; also whether it is recorded (not the author's own)."""
        quiz = await self.game(quiz_id)
        answers = parse_responses(raw, len(quiz.content.questions))
        return score_play(quiz, player, answers), player != quiz.owner
