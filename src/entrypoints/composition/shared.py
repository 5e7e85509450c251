"""What several contexts share: the adapter-selection rule, readiness checks, the clock and
the shared-kernel ports (dead letters, idempotency, event publishing)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from entrypoints.composition.clients import Clients
from entrypoints.settings import Settings
from ports.shared import DeadLetters, EventPublisher, IdempotencyStore

if TYPE_CHECKING:
    from entrypoints.composition import Composition

#: Settings read here, for every context that uses these ports.
READS = ("dead_letter_queue_url", "idempotency_table", "redis_url", "aws_endpoint_url")


class Backend(enum.Enum):
    """Where a port's adapter keeps its data."""

    AWS = "aws"  #: the port's table, stream, topic or bucket (or API URL) is configured
    REDIS = "redis"  #: REDIS_URL is set and the port has a Redis adapter
    MEMORY = "memory"  #: neither: in memory, with demo data where there is some


def backend(resource: str | None, settings: Settings, *, redis: bool = False) -> Backend:
    """The one rule for every port: its own resource set -> AWS (or HTTP); else ``REDIS_URL``
    set and the port has a Redis adapter (``redis=True``) -> Redis; else in memory."""
    if resource:
        return Backend.AWS
    if redis and settings.redis_url:
        return Backend.REDIS
    return Backend.MEMORY


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A dependency probe for ``/readyz``; a failing optional one only degrades the service."""

    name: str
    probe: Callable[[], Awaitable[object]]
    required: bool = True


def dead_letters(settings: Settings, clients: Clients) -> DeadLetters:
    """``DEAD_LETTER_QUEUE_URL`` set -> SQS; else in memory (each one also logged)."""
    if backend(settings.dead_letter_queue_url, settings) is Backend.AWS:
        from adapters.sqs.shared import SQSDeadLetters

        assert settings.dead_letter_queue_url
        return SQSDeadLetters(clients.sqs(), settings.dead_letter_queue_url)
    from adapters.memory.shared import InMemoryDeadLetters

    return InMemoryDeadLetters()


def idempotency_store(root: Composition) -> IdempotencyStore:
    """The one idempotency store, shared by order placements and trivia grants (their keys
    cannot collide: each is a digest whose first part names its use)."""
    table = root.settings.idempotency_table
    match backend(table, root.settings, redis=True):
        case Backend.AWS:
            from adapters.dynamodb.shared import DynamoDBIdempotencyStore

            assert table
            return DynamoDBIdempotencyStore(root.dynamodb("idempotencyTable", table), table)
        case Backend.REDIS:
            from adapters.redis.shared import RedisIdempotencyStore

            return RedisIdempotencyStore(root.redis(holds_data=True))
        case Backend.MEMORY:
            from adapters.memory.shared import InMemoryIdempotencyStore

            return InMemoryIdempotencyStore()


def event_publisher(
    topic_arn: str | None,
    settings: Settings,
    clients: Clients,
    fallback: Callable[[], EventPublisher],
) -> EventPublisher:
    """A context's events: on its SNS topic when configured, else ``fallback()``."""
    if backend(topic_arn, settings) is Backend.AWS:
        from adapters.sns.shared import SNSEventPublisher

        assert topic_arn
        return SNSEventPublisher(clients.sns(), topic_arn)
    return fallback()
