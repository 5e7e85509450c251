"""In-memory races adapters (the embedded default and the unit-test fakes)."""

from __future__ import annotations

import copy
import threading

from domain.races.errors import StaleRaceError
from domain.races.model import ClassHistory, LiveRace


class InMemoryRaceStore:
    """RaceStore in a dict; keeps copies, so only a save changes what is stored."""

    def __init__(self) -> None:
        self._races: dict[tuple[int, int], LiveRace] = {}
        self._lock = threading.Lock()

    async def live(self, class_id: int, race_id: int) -> LiveRace | None:
        with self._lock:
            race = self._races.get((class_id, race_id))
            return None if race is None else copy.deepcopy(race)

    async def save(self, race: LiveRace) -> LiveRace:
        with self._lock:
            stored = self._races.get((race.class_id, race.race_id))
            if (stored.version if stored else 0) != race.version:
                raise StaleRaceError(f"race {race.class_id}-{race.race_id} changed")
            saved = copy.deepcopy(race)
            saved.version += 1
            self._races[(race.class_id, race.race_id)] = saved
            return copy.deepcopy(saved)

    async def unfinished(self) -> list[LiveRace]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._races.values() if not r.finished]


class InMemoryHistoryStore:
    """HistoryStore in a dict, versioned like an object store's ETag."""

    def __init__(self) -> None:
        self._histories: dict[int, tuple[ClassHistory, str]] = {}
        self._lock = threading.Lock()

    async def load(self, class_id: int) -> tuple[ClassHistory | None, str | None]:
        with self._lock:
            found = self._histories.get(class_id)
            return (None, None) if found is None else (copy.deepcopy(found[0]), found[1])

    async def save(self, history: ClassHistory, version: str | None) -> None:
        with self._lock:
            found = self._histories.get(history.class_id)
            if (found[1] if found else None) != version:
                raise StaleRaceError(f"class {history.class_id} history changed")
            next_version = str(int(version or 0) + 1)
            self._histories[history.class_id] = (copy.deepcopy(history), next_version)


class InMemoryLiveNotifier:
    """LiveNotifier keeping the latest board of every race (what a watcher would be sent)."""

    def __init__(self) -> None:
        self.latest: dict[tuple[int, int], LiveRace] = {}

    async def publish(self, race: LiveRace) -> None:
        self.latest[(race.class_id, race.race_id)] = race
