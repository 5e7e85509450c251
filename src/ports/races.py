"""Ports of the races context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.races.model import ClassHistory, LiveRace
from domain.races.stream import PutReport, ShardRecord, StreamRecord


class RaceStore(Protocol):
    """Live race boards. Raises RaceStoreUnavailableError when it cannot answer."""

    async def live(self, class_id: int, race_id: int) -> LiveRace | None: ...

    async def save(self, race: LiveRace) -> LiveRace:
        """Store the race if its ``version`` is still the stored one (0: new); return it with
        the next version. Raises StaleRaceError when someone saved in between."""
        ...

    async def unfinished(self) -> list[LiveRace]:
        """Races not yet settled: a racer not finished, or a finished total not yet on the
        boards (a crash or an outage between the live save and the boards). For the sweep."""
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


class StreamProducer(Protocol):
    """Sends device messages to the race stream."""

    async def put(self, records: Sequence[StreamRecord]) -> PutReport:
        """Send every record, re-sending only the entries that failed (bounded attempts);
        raises RaceStoreUnavailableError when the stream cannot be reached at all."""
        ...


class StreamReader(Protocol):
    """Reads the race stream shard by shard, in order."""

    async def shards(self) -> list[str]: ...

    async def read(self, shard: str, after: str | None, limit: int) -> list[ShardRecord]:
        """Up to ``limit`` records of the shard after sequence number ``after`` (None: from
        the oldest record kept)."""
        ...


class Checkpoints(Protocol):
    """Where a stream consumer has got to, per shard."""

    async def get(self, stream: str, shard: str) -> str | None: ...

    async def put(self, stream: str, shard: str, sequence_number: str) -> None: ...


class ArchiveReader(Protocol):
    """Reads delivered stream archives (Firehose objects) by location."""

    async def read(self, bucket: str, key: str) -> bytes: ...
