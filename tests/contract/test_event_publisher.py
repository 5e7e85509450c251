"""EventPublisher contract: in memory, and SNS (moto) read back through an SQS subscription."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.memory.shared import InMemoryEventPublisher
from domain.shared.events import DomainEvent
from ports.shared import EventPublisher

pytestmark = pytest.mark.anyio


@dataclass
class Subject:
    publisher: EventPublisher
    received: Callable[[], list[dict[str, Any]]]  # what a subscriber got, as JSON


@pytest.fixture(params=["memory", "sns"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        memory = InMemoryEventPublisher()
        yield Subject(
            memory,
            lambda: [
                {"eventId": e.event_id, "name": e.name, **e.payload} for e in memory.published
            ],
        )
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

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    yield Subject(SNSEventPublisher(sns, topic), received)


async def test_a_published_event_reaches_subscribers(subject: Subject) -> None:
    event = DomainEvent("o-1:OrderCompleted", "OrderCompleted", {"orderId": "o-1", "total": "5.00"})
    await subject.publisher.publish(event)
    assert subject.received() == [
        {
            "eventId": "o-1:OrderCompleted",
            "name": "OrderCompleted",
            "orderId": "o-1",
            "total": "5.00",
        }
    ]
