"""DeadLetters contract: in memory, and SQS (moto) read back from the queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from adapters.memory.shared import InMemoryDeadLetters
from ports.shared import DeadLetters

pytestmark = pytest.mark.anyio


@dataclass
class Subject:
    letters: DeadLetters
    received: Callable[[], list[tuple[str, str, str]]]  # (source, payload, reason)


@pytest.fixture(params=["memory", "sqs"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "memory":
        memory = InMemoryDeadLetters()
        yield Subject(memory, lambda: list(memory.letters))
        return
    import boto3

    from adapters.sqs.shared import SQSDeadLetters

    env = request.getfixturevalue("aws_env")
    sqs = boto3.client(
        "sqs", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    queue = sqs.create_queue(QueueName=f"dead-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def received() -> list[tuple[str, str, str]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        letters = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
        return [(d["source"], d["payload"], d["reason"]) for d in letters]

    yield Subject(SQSDeadLetters(sqs, queue), received)


async def test_a_letter_keeps_its_source_payload_and_reason(subject: Subject) -> None:
    await subject.letters.send("orders.saga", '{"orderId": "o-1"}', "RefundPayment kept failing")
    assert subject.received() == [
        ("orders.saga", '{"orderId": "o-1"}', "RefundPayment kept failing")
    ]
