"""In-memory shared-kernel adapters."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.shared.events import DomainEvent
from domain.shared.idempotency import IdempotencyRecord, RecordStatus

log = logging.getLogger(__name__)


class ManualClock:
    """Clock that stands still until told to move: for tests and simulations."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class InMemoryIdempotencyStore:
    """IdempotencyStore in a dict (one process; the default when nothing is configured)."""

    def __init__(self) -> None:
        self._records: dict[str, IdempotencyRecord] = {}
        self._lock = threading.Lock()

    async def acquire(self, record: IdempotencyRecord, now: int) -> IdempotencyRecord | None:
        with self._lock:
            existing = self._records.get(record.key)
            if existing is not None and _live(existing, now):
                return existing
            self._records[record.key] = record
            return None

    async def complete(self, key: str, response: str, expiration: int) -> None:
        with self._lock:
            record = self._records[key]
            self._records[key] = replace(
                record, status=RecordStatus.COMPLETED, response=response, expiration=expiration
            )

    async def release(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)


def _live(record: IdempotencyRecord, now_ms: int) -> bool:
    if record.expiration * 1000 <= now_ms:
        return False
    return record.status is RecordStatus.COMPLETED or record.in_progress_expiration > now_ms


class InMemoryEventPublisher:
    """EventPublisher keeping what was published (in order), for the local server and tests."""

    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    async def publish(self, event: DomainEvent) -> None:
        self.published.append(event)


class InMemoryDeadLetters:
    """DeadLetters kept in memory and logged, so nothing sent here goes unnoticed."""

    def __init__(self) -> None:
        self.letters: list[tuple[str, str, str]] = []

    async def send(self, source: str, payload: str, reason: str) -> None:
        log.error("dead letter from %s: %s (%s)", source, reason, payload)
        self.letters.append((source, payload, reason))
