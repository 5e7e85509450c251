"""In-memory shared-kernel adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """Clock that stands still until told to move: for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
