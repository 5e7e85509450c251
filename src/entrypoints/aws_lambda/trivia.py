"""Lambda handlers of the trivia context, subscribed to ``TRIVIA_TOPIC_ARN`` (SNS).

- ``score_handler``: "score recorded" events → the quiz's board (``trivia-<quizId>``).
- ``progress_handler``: "experience earned" events → the player's and the author's progress.

Each may be subscribed with a filter policy on the ``name`` message attribute; without one,
the other consumer's events are skipped. Both are idempotent per event id, so SNS's
at-least-once delivery and Lambda's retries change nothing twice. A transient failure raises,
so Lambda retries the invocation; a message that can never be handled (not bounded JSON, not
an event, a payload missing or mistyping a field, a player no board can hold) goes to the
dead letters with the reason and is not retried.
"""

from __future__ import annotations

import logging
from typing import Any

from domain.shared.decoding import JsonLimits, UndecodableError, decode_json
from domain.shared.errors import InvalidInputError
from domain.shared.events import DomainEvent
from domain.trivia.progress import EXPERIENCE_EARNED, SCORE_RECORDED
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition

log = logging.getLogger(__name__)
SOURCE = "trivia.events"


#: A trivia event is well under a kilobyte; SNS caps a message at 256 KB.
EVENT_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=4)


class PoisonEventError(InvalidInputError):
    """A message that is not a trivia event."""

    code = "invalid-event"
    title = "Invalid event"


def parse_event(message: str) -> DomainEvent:
    """The event in an SNS message (the publisher's JSON), or in the SNS envelope an SQS
    subscription without raw delivery carries; both decoded by the bounded decoder."""
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
    return DomainEvent(event_id, name, body)


class TriviaHandlers:
    """The trivia consumers of one composition; ``run`` drives a coroutine to the end."""

    def __init__(self, composition: Composition, run: Run) -> None:
        self._consumers = composition.trivia.consumers()
        self._dead_letters = composition.dead_letters
        self._run = run

    def score(self, event: dict[str, Any], context: Any) -> dict[str, int]:
        return self._sns(event, SCORE_RECORDED)

    def progress(self, event: dict[str, Any], context: Any) -> dict[str, int]:
        return self._sns(event, EXPERIENCE_EARNED)

    def _sns(self, event: dict[str, Any], name: str) -> dict[str, int]:
        handled = 0
        for record in event.get("Records") or []:
            handled += self.handle(record["Sns"]["Message"], only=name)
        return {"handled": handled}

    def handle(self, message: str, only: str | None = None) -> bool:
        """Handle one message (its consumer, or ``only`` that event's); False when skipped
        or dead-lettered. UnavailableError propagates: the message is to be retried."""
        try:
            event = parse_event(message)
        except PoisonEventError as exc:
            self._dead_letter(message, exc.detail)
            return False
        consumer = self._consumers.get(event.name)
        if consumer is None or (only is not None and event.name != only):
            return False  # another consumer's event (no filter policy on the subscription)
        try:
            self._run(consumer(event))
        except InvalidInputError as exc:  # the payload, or what it names, breaks a rule
            self._dead_letter(message, f"{event.name} {event.event_id}: {exc.detail}")
            return False
        return True

    def _dead_letter(self, message: str, reason: str) -> None:
        log.warning("trivia event dead-lettered: %s", reason)
        self._run(self._dead_letters.send(SOURCE, message, reason))


_get = per_environment(TriviaHandlers)


@correlated
def score_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().score(event, context)


@correlated
def progress_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().progress(event, context)
