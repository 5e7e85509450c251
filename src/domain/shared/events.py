"""Domain events, as published to other contexts and services, and messages as queues
deliver them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from domain.shared.correlation import correlation_id
from domain.shared.errors import UnavailableError


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened. ``event_id`` is deterministic, so a re-publish is a duplicate
    that consumers can drop, never a second event."""

    event_id: str
    name: str
    payload: Mapping[str, Any]
    #: The correlation id of the work that published it (a publisher fills it in).
    correlation_id: str | None = None

    def correlated(self) -> DomainEvent:
        """This event with the current correlation id, unless it carries one already."""
        current = correlation_id.get()
        if self.correlation_id is not None or current is None:
            return self
        return replace(self, correlation_id=current)


def event_message(event: DomainEvent) -> str:
    """The event as one JSON message: ``eventId``, ``name``, ``correlationId`` (when known)
    and the payload's fields."""
    head: dict[str, Any] = {"eventId": event.event_id, "name": event.name}
    if event.correlation_id is not None:
        head["correlationId"] = event.correlation_id
    return json.dumps({**head, **event.payload}, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message received from a queue; ``receipt`` deletes it once handled."""

    receipt: str
    body: str


class EventPublishingUnavailableError(UnavailableError):
    code = "event-publishing-unavailable"
    title = "Event publishing unavailable"
