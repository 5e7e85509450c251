"""In-memory races adapters (the embedded default and the unit-test fakes)."""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import replace

from adapters.kinesis.batching import PUT_RETRY, put_all
from domain.races.errors import RaceStoreUnavailableError, StaleRaceError
from domain.races.model import ClassHistory, LiveRace
from domain.races.stream import PutReport, ShardRecord, StreamRecord


class InMemoryRaceStore:
    """RaceStore in a dict; keeps copies, so only a save changes what is stored."""

    def __init__(self) -> None:
        self._races: dict[tuple[int, int], LiveRace] = {}
        self._lock = threading.Lock()

    async def live(self, class_id: int, race_id: int) -> LiveRace | None:
        with self._lock:
            race = self._races.get((class_id, race_id))
            return None if race is None else race.copy()

    async def save(self, race: LiveRace) -> LiveRace:
        with self._lock:
            stored = self._races.get((race.class_id, race.race_id))
            if (stored.version if stored else 0) != race.version:
                raise StaleRaceError(f"race {race.class_id}-{race.race_id} changed")
            saved = race.copy()
            saved.version += 1
            self._races[(race.class_id, race.race_id)] = saved
            return saved.copy()

    async def unfinished(self) -> list[LiveRace]:
        with self._lock:
            return [r.copy() for r in self._races.values() if not r.settled]


class InMemoryHistoryStore:
    """HistoryStore in a dict, versioned like an object store's ETag."""

    def __init__(self) -> None:
        self._histories: dict[int, tuple[ClassHistory, str]] = {}
        self._lock = threading.Lock()

    async def load(self, class_id: int) -> tuple[ClassHistory | None, str | None]:
        with self._lock:
            found = self._histories.get(class_id)
            return (None, None) if found is None else (found[0].copy(), found[1])

    async def save(self, history: ClassHistory, version: str | None) -> None:
        with self._lock:
            found = self._histories.get(history.class_id)
            if (found[1] if found else None) != version:
                raise StaleRaceError(f"class {history.class_id} history changed")
            next_version = str(int(version or 0) + 1)
            self._histories[history.class_id] = (history.copy(), next_version)


class InMemoryLiveNotifier:
    """LiveNotifier keeping the latest board of every race (what a watcher would be sent)."""

    def __init__(self) -> None:
        self.latest: dict[tuple[int, int], LiveRace] = {}

    async def publish(self, race: LiveRace) -> None:
        self.latest[(race.class_id, race.race_id)] = race


class InMemoryStream:
    """StreamProducer and StreamReader over in-process shards (partition key hashed to a
    shard, like Kinesis); ``fail_next`` makes the next puts fail entries, for tests."""

    def __init__(self, shard_count: int = 1) -> None:
        self._shards: dict[str, list[ShardRecord]] = {
            f"shardId-{i:012d}": [] for i in range(shard_count)
        }
        self._names = list(self._shards)
        self._sequence = 0
        self._lock = threading.Lock()
        self.fail_next = 0  # entries to refuse (one attempt each), as under throttling

    async def put(self, records: Sequence[StreamRecord]) -> PutReport:
        return await put_all(records, self._send, replace(PUT_RETRY, base=0))

    async def _send(self, batch: list[StreamRecord]) -> list[StreamRecord]:
        failed = []
        with self._lock:
            for record in batch:
                if self.fail_next > 0:
                    self.fail_next -= 1
                    failed.append(record)
                else:
                    self._append(record)
        return failed

    def _append(self, record: StreamRecord) -> None:
        digest = hashlib.md5(record.partition_key.encode(), usedforsecurity=False).digest()
        shard = self._names[int.from_bytes(digest) * len(self._names) >> 128]
        self._sequence += 1
        stored = ShardRecord(f"{self._sequence:021d}", record.partition_key, record.data, 0)
        self._shards[shard].append(stored)

    async def shards(self) -> list[str]:
        return list(self._names)

    async def read(self, shard: str, after: str | None, limit: int) -> list[ShardRecord]:
        with self._lock:
            records = self._shards[shard]
            start = 0 if after is None else bisect.bisect_right(records, after, key=_sequence)
            return records[start : start + limit]


def _sequence(record: ShardRecord) -> str:
    return record.sequence_number


class InMemoryCheckpoints:
    """Checkpoints in a dict."""

    def __init__(self) -> None:
        self._positions: dict[tuple[str, str], str] = {}

    async def get(self, stream: str, shard: str) -> str | None:
        return self._positions.get((stream, shard))

    async def put(self, stream: str, shard: str, sequence_number: str) -> None:
        self._positions[(stream, shard)] = sequence_number


class InMemoryArchive:
    """ArchiveReader over a dict of (bucket, key) -> bytes."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    async def read(self, bucket: str, key: str) -> bytes:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise RaceStoreUnavailableError(f"No archive s3://{bucket}/{key}.") from None
