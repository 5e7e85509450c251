"""Ports of the shared kernel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.shared.events import DomainEvent, QueuedMessage
from domain.shared.idempotency import IdempotencyRecord

if TYPE_CHECKING:  # annotations only
    from domain.shared.connections import Connection


class Clock(Protocol):
    """The current time; the domain never reads the system clock itself."""

    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class IdempotencyStore(Protocol):
    """Records of requests already seen, so a retry replays instead of running again.

    Raises IdempotencyStoreUnavailableError when the store cannot answer.
    """

    async def acquire(self, record: IdempotencyRecord, now: int) -> IdempotencyRecord | None:
        """Store ``record`` (INPROGRESS) unless a live record has its key; return that record.

        A record is live until its ``expiration``, and an INPROGRESS one until its
        ``in_progress_expiration`` too (a crashed request's lock lapses).
        """
        ...

    async def complete(self, key: str, response: str, expiration: int) -> None:
        """Mark the record COMPLETED with the response to replay."""
        ...

    async def release(self, key: str) -> None:
        """Delete the record, so a retry runs again (processing raised)."""
        ...


class EventPublisher(Protocol):
    """Publishes domain events; consumers dedupe by ``event.event_id`` (at-least-once)."""

    async def publish(self, event: DomainEvent) -> None: ...


class QueueReader(Protocol):
    """A queue read at least once: a received message not deleted comes back later.

    Raises an UnavailableError when the queue cannot be reached.
    """

    async def receive(self, max_messages: int, wait_seconds: float) -> list[QueuedMessage]:
        """Up to ``max_messages``, waiting at most ``wait_seconds`` for the first."""
        ...

    async def delete(self, receipt: str) -> None: ...


class DeadLetters(Protocol):
    """Where work that cannot be completed goes, with the reason, so it is never lost."""

    async def send(self, source: str, payload: str, reason: str) -> None: ...


class Pusher(Protocol):
    """The live-notification port: sends frames to players' live connections, wherever
    each is held (this process, another server process, API Gateway)."""

    async def push(self, connections: Sequence[Connection], frame: str) -> list[Connection]:
        """Deliver (or queue) ``frame`` to each; the connections that are gone for good (the
        caller removes them). One connection's failure never stops the others'."""
        ...
