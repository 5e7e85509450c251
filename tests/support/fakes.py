"""Test doubles of ports that no deployment uses (so they do not ship in ``src``)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.trivia.errors import InvalidTokenError
from domain.trivia.profiles import PushSubscription


class ManualClock:
    """Clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class InMemoryTokenVerifier:
    """TokenVerifier over a fixed table of tokens (for tests of code that needs identity)."""

    def __init__(self, players_by_token: dict[str, str]) -> None:
        self._players = dict(players_by_token)

    async def verify(self, token: str) -> str:
        player = self._players.get(token)
        if player is None:
            raise InvalidTokenError("The token is not valid.")
        return player


class RecordingWebPushSender:
    """WebPushSender that records what it would send; endpoints in ``gone`` answer as a
    push service does for an expired subscription (the unit tests')."""

    def __init__(self, gone: Sequence[str] = ()) -> None:
        self.sent: list[tuple[str, str]] = []
        self.gone = set(gone)

    def public_key(self) -> str:
        return base64.urlsafe_b64encode(b"\x04" + bytes(64)).rstrip(b"=").decode()

    async def send(self, subscription: PushSubscription, message: str) -> bool:
        if subscription.endpoint in self.gone:
            return False
        self.sent.append((subscription.endpoint, message))
        return True
