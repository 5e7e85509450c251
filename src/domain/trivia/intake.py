"""Handling one trivia event message, whatever carried it: the SNS Lambda handlers and the
container's queue consumer both call this.

A message is the publisher's JSON (``event_message``), or the SNS envelope an SQS
subscription without raw delivery carries; both are decoded by the bounded decoder. One that
can never be handled (not bounded JSON, not an event, a payload missing or mistyping a field,
a player no board can hold) goes to the dead letters with the reason; an UnavailableError
propagates, so the transport redelivers the message (the consumers are idempotent per event
id). The consumer runs under the event's correlation id, so its log lines name the request
that published it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from domain.shared.correlation import correlation, safe_correlation_id
from domain.shared.decoding import JsonLimits, UndecodableError, decode_json
from domain.shared.errors import InvalidInputError
from domain.shared.events import DomainEvent
from ports.shared import DeadLetters

log = logging.getLogger(__name__)

#: The dead letters' source of trivia events.
SOURCE = "trivia.events"
#: A trivia event is well under a kilobyte; SNS caps a message at 256 KB.
EVENT_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=4)

Consumer = Callable[[DomainEvent], Awaitable[None]]


class PoisonEventError(InvalidInputError):
    """A message that is not a trivia event."""

    code = "invalid-event"
    title = "Invalid event"


def parse_event(message: str) -> DomainEvent:
    """The event in a message (see the module docstring); PoisonEventError says why not."""
    try:
        body = decode_json(message, EVENT_LIMITS, "message")
        if isinstance(body, dict) and body.get("Type") == "Notification":
            inner = body.get("Message")
            if not isinstance(inner, str):
                raise PoisonEventError("an SNS notification without a Message")
            body = decode_json(inner, EVENT_LIMITS, "message")
    except UndecodableError as exc:
        raise PoisonEventError(f"not JSON within bounds: {exc.reason}") from exc
    if not isinstance(body, dict):
        raise PoisonEventError("an event must be a JSON object")
    event_id, name = body.pop("eventId", None), body.pop("name", None)
    if not isinstance(event_id, str) or not isinstance(name, str):
        raise PoisonEventError("eventId and name are required strings")
    # An unsafe correlation id is dropped, not refused: the event itself is still good.
    correlated = safe_correlation_id(body.pop("correlationId", None))
    return DomainEvent(event_id, name, body, correlated)


class TriviaEvents:
    """Hands each message to the consumer of its event (the trivia service's consumers)."""

    def __init__(self, consumers: Mapping[str, Consumer], dead_letters: DeadLetters) -> None:
        self._consumers = consumers
        self._dead_letters = dead_letters

    async def handle(self, message: str, only: str | None = None) -> bool:
        """Handle one message (by its consumer; with ``only``, only that event's); False when
        skipped or dead-lettered."""
        try:
            event = parse_event(message)
        except PoisonEventError as exc:
            await self._dead_letter(message, exc.detail)
            return False
        consumer = self._consumers.get(event.name)
        if consumer is None or (only is not None and event.name != only):
            return False  # another consumer's event (no filter policy on the subscription)
        try:
            with correlation(event.correlation_id):  # logs carry the publisher's id
                await consumer(event)
        except InvalidInputError as exc:  # the payload, or what it names, breaks a rule
            await self._dead_letter(message, f"{event.name} {event.event_id}: {exc.detail}")
            return False
        return True

    async def _dead_letter(self, message: str, reason: str) -> None:
        log.warning("trivia event dead-lettered: %s", reason)
        await self._dead_letters.send(SOURCE, message, reason)
