"""Domain events, as published to other contexts and services, and messages as queues
deliver them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.shared.errors import UnavailableError


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened. ``event_id`` is deterministic, so a re-publish is a duplicate
    that consumers can drop, never a second event."""

    event_id: str
    name: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message received from a queue; ``receipt`` deletes it once handled."""

    receipt: str
    body: str


class EventPublishingUnavailableError(UnavailableError):
    code = "event-publishing-unavailable"
    title = "Event publishing unavailable"
