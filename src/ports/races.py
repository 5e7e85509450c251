"""Ports of the races context."""

from __future__ import annotations

from typing import Protocol

from domain.races.model import ClassHistory, LiveRace


class RaceStore(Protocol):
    """Live race boards. Raises RaceStoreUnavailableError when it cannot answer."""

    async def live(self, class_id: int, race_id: int) -> LiveRace | None: ...

    async def save(self, race: LiveRace) -> LiveRace:
        """Store the race if its ``version`` is still the stored one (0: new); return it with
        the next version. Raises StaleRaceError when someone saved in between."""
        ...

    async def unfinished(self) -> list[LiveRace]:
        """Races with at least one racer not yet finished (for the sweep)."""
        ...


class HistoryStore(Protocol):
    """All-time records per class. Raises RaceStoreUnavailableError when it cannot answer."""

    async def load(self, class_id: int) -> tuple[ClassHistory | None, str | None]:
        """The class history and a version tag (None, None when there is none yet)."""
        ...

    async def save(self, history: ClassHistory, version: str | None) -> None:
        """Store it if the stored version is still ``version``; StaleRaceError otherwise."""
        ...


class LiveNotifier(Protocol):
    """Pushes live boards to watching clients."""

    async def publish(self, race: LiveRace) -> None: ...
