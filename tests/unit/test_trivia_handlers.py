"""Trivia Lambda handlers (SNS): the consumers of a play's events, idempotent per event id,
with poison messages dead-lettered and transient failures raised for Lambda to retry."""

from __future__ import annotations

import asyncio
import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.shared import InMemoryDeadLetters, InMemoryEventPublisher
from domain.shared.correlation import correlation_id
from domain.shared.events import DomainEvent
from domain.trivia.errors import TriviaStoreUnavailableError
from domain.trivia.intake import TriviaEvents, parse_event
from domain.trivia.progress import Progress
from domain.trivia.service import TriviaService
from entrypoints.aws_lambda.trivia import TriviaHandlers
from entrypoints.settings import Settings
from tests.support.composing import composition_with
from tests.unit.test_trivia_progress import DEMO, FlakyProgress, answers, service

EVENT = json.loads((Path(__file__).parents[1] / "events" / "sns_trivia_score.json").read_text())


def sns(*messages: str) -> dict[str, Any]:
    """The reference SNS event carrying ``messages``, one record each."""
    event = copy.deepcopy(EVENT)
    (record,) = event["Records"]
    event["Records"] = [{**record, "Sns": {**record["Sns"], "Message": m}} for m in messages]
    return event


def message(event: DomainEvent) -> str:
    return json.dumps({"eventId": event.event_id, "name": event.name, **event.payload})


def handlers(
    trivia: TriviaService, tmp_path: Path
) -> tuple[TriviaHandlers, InMemoryDeadLetters, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    letters = InMemoryDeadLetters()
    settings = Settings(auth_dev_key_file=str(tmp_path / "key.pem"))
    services = composition_with(settings, trivia=trivia, dead_letters=letters)
    return TriviaHandlers(services, loop.run_until_complete), letters, loop


def test_the_reference_event_puts_the_score_on_the_board_once(tmp_path: Path) -> None:
    trivia, _ = service()
    on, letters, loop = handlers(trivia, tmp_path)
    assert on.score(EVENT, None) == {"handled": 1}
    assert on.score(EVENT, None) == {"handled": 1}  # redelivered: nothing changes
    board = loop.run_until_complete(trivia.leaderboard(DEMO, "ann"))
    assert [(e.entry.member, e.entry.score) for e in board.entries] == [("ann", Decimal("75.00"))]
    assert letters.letters == []
    loop.close()


def test_each_handler_takes_its_own_events_and_credits_once(tmp_path: Path) -> None:
    events = InMemoryEventPublisher()
    trivia, _ = service(events)
    on, _, loop = handlers(trivia, tmp_path)
    loop.run_until_complete(trivia.play("ann", DEMO, answers(3)))
    both = sns(*(message(e) for e in events.published))
    assert on.progress(both, None) == {"handled": 1}  # the score event is skipped
    assert on.progress(both, None) == {"handled": 1}
    assert loop.run_until_complete(trivia.progress("ann")) == Progress("ann", 3)
    assert loop.run_until_complete(trivia.progress("portside")) == Progress("portside", 3)
    assert on.score(both, None) == {"handled": 1}
    loop.close()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"name": "trivia.score-recorded"}', "eventId and name"),
        ('{"eventId": "e1", "name": "trivia.score-recorded", "quizId": "demo-2"}', "score"),
        (
            '{"eventId": "e2", "name": "trivia.score-recorded", "quizId": "demo-2", '
            '"player": "ann", "score": "101.00", "policy": "best", '
            '"first": true, "achievedAt": 0}',
            "percentage",
        ),
        ('{"eventId": "e3", "eventId": "e4", "name": "trivia.score-recorded"}', "twice"),
        ('{"eventId": "e5", "name": "trivia.score-recorded", "quizId": "\ud800"}', "surrogate"),
    ],
)
def test_poison_messages_are_dead_lettered_not_retried(
    tmp_path: Path, body: str, reason: str
) -> None:
    trivia, _ = service()
    on, letters, loop = handlers(trivia, tmp_path)
    assert on.score(sns(body), None) == {"handled": 0}
    ((source, payload, why),) = letters.letters
    assert (source, payload) == ("trivia.events", body)
    assert reason in why
    loop.close()


def test_a_transient_failure_raises_for_lambda_to_retry(tmp_path: Path) -> None:
    events = InMemoryEventPublisher()
    trivia, _ = service(events, FlakyProgress(failures=1))
    on, letters, loop = handlers(trivia, tmp_path)
    loop.run_until_complete(trivia.play("ann", DEMO, answers(2)))
    experience = sns(message(events.published[1]))
    with pytest.raises(TriviaStoreUnavailableError):
        on.progress(experience, None)
    assert on.progress(experience, None) == {"handled": 1}  # Lambda's retry
    assert loop.run_until_complete(trivia.progress("ann")) == Progress("ann", 2)
    assert letters.letters == []
    loop.close()


def test_an_sqs_subscription_s_envelope_is_unwrapped() -> None:
    inner = json.dumps({"eventId": "e1", "name": "n", "a": 1})
    envelope = json.dumps({"Type": "Notification", "MessageId": "m", "Message": inner})
    assert parse_event(envelope) == DomainEvent("e1", "n", {"a": 1})
    assert parse_event(inner) == DomainEvent("e1", "n", {"a": 1})


def test_a_consumer_runs_under_the_correlation_id_its_event_carries() -> None:
    seen: list[str | None] = []

    async def consumer(event: DomainEvent) -> None:
        seen.append(correlation_id.get())

    events = TriviaEvents({"n": consumer}, InMemoryDeadLetters())
    base = {"eventId": "e1", "name": "n", "a": 1}
    for message in (
        {**base, "correlationId": "req-1"},
        {**base, "correlationId": "<script>"},  # unsafe: dropped, the event still handled
        base,
    ):
        assert asyncio.run(events.handle(json.dumps(message))) is True
    assert seen == ["req-1", None, None]
    assert parse_event(json.dumps({**base, "correlationId": "req-1"})) == DomainEvent(
        "e1", "n", {"a": 1}, "req-1"
    )
