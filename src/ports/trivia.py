"""Ports of the trivia context."""

from __future__ import annotations

from typing import Protocol

from domain.trivia.model import Quiz
from domain.trivia.progress import Progress


class TokenVerifier(Protocol):
    """Checks a bearer token and says who the player is.

    Raises InvalidTokenError for any token that is not valid (missing claims, expired,
    forged, unsigned, another issuer or audience), IdentityProviderUnavailableError when the
    signing keys cannot be fetched.
    """

    async def verify(self, token: str) -> str:
        """The player's username (``cognito:username``, else ``username``, else ``sub``)."""
        ...


class QuizStore(Protocol):
    """Quizzes by id, by owner, and active games by category, newest first.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def put(self, quiz: Quiz) -> None:
        """Create or replace the quiz."""
        ...

    async def get(self, quiz_id: str) -> Quiz | None: ...

    async def delete(self, quiz_id: str) -> None:
        """Remove the quiz (and its game listing); nothing if it is not there."""
        ...

    async def by_owner(self, owner: str) -> list[Quiz]:
        """The owner's quizzes, newest first."""
        ...

    async def active(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Quiz], str | None]:
        """Active games (all categories, or one), newest first, a page at a time; the
        cursor continues where the last page ended (None: no more)."""
        ...


class PlayLog(Protocol):
    """Which plays came first: the one question a ``first`` leaderboard policy needs answered
    at play time, so that late or reordered deliveries cannot change it."""

    async def claim_first(self, quiz_id: str, player: str) -> bool:
        """Atomically: True for the player's first recorded play of the quiz, else False."""
        ...


class ProgressStore(Protocol):
    """Experience and wins per player; each event is counted once per player."""

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        """Add to the player's progress unless this event was already credited to them."""
        ...

    async def get(self, username: str) -> Progress: ...
