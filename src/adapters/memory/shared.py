"""In-memory shared-kernel adapters."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from domain.shared.connections import Connection
from domain.shared.errors import UnavailableError
from domain.shared.events import DomainEvent, QueuedMessage, event_message
from domain.shared.idempotency import IdempotencyRecord, RecordStatus
from domain.shared.retry import Retry
from ports.shared import DeadLetters

log = logging.getLogger(__name__)


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
        self.published.append(event.correlated())


EventHandler = Callable[[DomainEvent], Awaitable[object]]


class InMemoryEventBus:
    """EventPublisher that delivers each event to its subscribers after ``publish`` returns,
    as SNS would: asynchronously, retrying transient failures with bounded, jittered backoff,
    and dead-lettering what still fails. The embedded default's stand-in for a topic."""

    def __init__(self, dead_letters: DeadLetters, base_delay: float = 0.05) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)
        self._dead_letters = dead_letters
        self._retry = Retry(attempts=5, base=base_delay, cap=2.0)
        self._pending: set[asyncio.Task[None]] = set()

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self._handlers[name].append(handler)

    async def publish(self, event: DomainEvent) -> None:
        event = event.correlated()
        for handler in self._handlers[event.name]:
            task = asyncio.get_running_loop().create_task(self._deliver(handler, event))
            self._pending.add(task)  # a reference, so the task is not collected mid-flight
            task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until every delivery so far has finished (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def _deliver(self, handler: EventHandler, event: DomainEvent) -> None:
        try:
            await self._retry.call(lambda: handler(event))
            return
        except UnavailableError as exc:  # still, after the last try
            reason = exc.detail
        except Exception as exc:  # a bug in a consumer: no retry will fix it
            log.exception("event %s failed in %r", event.event_id, handler)
            reason = f"{type(exc).__name__}: {exc}"
        body = event_message(event)
        try:
            await self._dead_letters.send(event.name, body, reason)
        except UnavailableError:
            log.error("event %s not delivered and not dead-lettered: %s", event.event_id, body)


class InMemoryQueue:
    """QueueReader over a list (tests): a received message stays until deleted, and is
    received again by the next ``receive`` (an immediate visibility timeout)."""

    def __init__(self, bodies: list[str] | None = None) -> None:
        self._messages = {str(i): body for i, body in enumerate(bodies or [])}
        self._next = len(self._messages)

    def send(self, body: str) -> None:
        self._messages[str(self._next)] = body
        self._next += 1

    async def receive(self, max_messages: int, wait_seconds: float) -> list[QueuedMessage]:
        return [QueuedMessage(r, b) for r, b in list(self._messages.items())[:max_messages]]

    async def delete(self, receipt: str) -> None:
        self._messages.pop(receipt, None)

    def __len__(self) -> int:
        return len(self._messages)


class InMemoryDeadLetters:
    """DeadLetters kept in memory and logged, so nothing sent here goes unnoticed."""

    def __init__(self) -> None:
        self.letters: list[tuple[str, str, str]] = []

    async def send(self, source: str, payload: str, reason: str) -> None:
        log.error("dead letter from %s: %s (%s)", source, reason, payload)
        self.letters.append((source, payload, reason))


Sink = Callable[[str], bool]


class InProcessPusher:
    """Pusher to the connections this process holds (the local server's sockets): each
    registers a sink that queues without waiting, so a slow player never delays the others."""

    def __init__(self) -> None:
        self._sinks: dict[str, Sink] = {}

    def register(self, connection_id: str, sink: Sink) -> None:
        self._sinks[connection_id] = sink

    def unregister(self, connection_id: str) -> None:
        self._sinks.pop(connection_id, None)

    def holds(self, connection_id: str) -> bool:
        return connection_id in self._sinks

    def deliver(self, connection_id: str, frame: str) -> bool:
        sink = self._sinks.get(connection_id)
        return sink is not None and sink(frame)

    async def push(self, connections: Sequence[Connection], frame: str) -> list[Connection]:
        return [c for c in connections if not self.deliver(c.connection_id, frame)]
