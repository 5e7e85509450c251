"""EventPublisher contract: in memory, the in-process event bus (the embedded default's
topic), and SNS (moto) read back through an SQS subscription."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.memory.shared import InMemoryDeadLetters, InMemoryEventBus, InMemoryEventPublisher
from domain.shared.correlation import correlation
from domain.shared.events import DomainEvent, event_message
from ports.shared import EventPublisher

pytestmark = pytest.mark.anyio


@dataclass
class Subject:
    publisher: EventPublisher
    received: Callable[[], Awaitable[list[dict[str, Any]]]]  # what a subscriber got, as JSON


def as_json(event: DomainEvent) -> dict[str, Any]:
    return json.loads(event_message(event))  # type: ignore[no-any-return]


@pytest.fixture(params=["memory", "bus", "sns"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        memory = InMemoryEventPublisher()

        async def published() -> list[dict[str, Any]]:
            return [as_json(e) for e in memory.published]

        yield Subject(memory, published)
        return
    if request.param == "bus":
        bus, delivered = InMemoryEventBus(InMemoryDeadLetters()), []

        async def subscriber(event: DomainEvent) -> None:
            delivered.append(as_json(event))

        bus.subscribe("OrderCompleted", subscriber)

        async def drained() -> list[dict[str, Any]]:
            await bus.drain()
            return delivered

        yield Subject(bus, drained)
        return
    import boto3

    from adapters.sns.shared import SNSEventPublisher

    env = request.getfixturevalue("aws_env")
    kwargs = {
        "endpoint_url": env["AWS_ENDPOINT_URL"], "region_name": env["AWS_DEFAULT_REGION"],
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
    }  # fmt: skip
    sns, sqs = boto3.client("sns", **kwargs), boto3.client("sqs", **kwargs)
    name = f"orders-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )  # fmt: skip

    async def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    yield Subject(SNSEventPublisher(sns, topic), received)


async def test_a_published_event_reaches_subscribers(subject: Subject) -> None:
    event = DomainEvent("o-1:OrderCompleted", "OrderCompleted", {"orderId": "o-1", "total": "5.00"})
    await subject.publisher.publish(event)
    assert await subject.received() == [
        {
            "eventId": "o-1:OrderCompleted",
            "name": "OrderCompleted",
            "orderId": "o-1",
            "total": "5.00",
        }
    ]


async def test_an_event_carries_the_correlation_id_of_the_work_that_published_it(
    subject: Subject,
) -> None:
    event = DomainEvent("o-2:OrderCompleted", "OrderCompleted", {"orderId": "o-2"})
    with correlation("req-9"):
        await subject.publisher.publish(event)
    (received,) = await subject.received()
    assert received == {
        "eventId": "o-2:OrderCompleted", "name": "OrderCompleted", "orderId": "o-2",
        "correlationId": "req-9",
    }  # fmt: skip
