"""QueueReader contract: in memory and SQS (moto). At least once: what is not deleted is
received again."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from adapters.memory.shared import InMemoryQueue
from ports.shared import QueueReader
from tests.support.services import boto_client

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "sqs"])
def queue(request: pytest.FixtureRequest) -> Iterator[tuple[QueueReader, Callable[[str], None]]]:
    if request.param == "memory":
        memory = InMemoryQueue()
        yield memory, memory.send
        return
    from adapters.sqs.shared import SQSQueueReader

    sqs = boto_client("sqs", request.getfixturevalue("aws_env"))
    attributes = {"VisibilityTimeout": "0"}  # a message not deleted is visible again at once
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes=attributes)
    url = url["QueueUrl"]
    yield SQSQueueReader(sqs, url), lambda body: sqs.send_message(QueueUrl=url, MessageBody=body)


async def test_messages_come_until_deleted(
    queue: tuple[QueueReader, Callable[[str], None]],
) -> None:
    reader, send = queue
    assert await reader.receive(10, 0) == []
    for body in ("a", "b", "c"):
        send(body)
    received = []
    for _ in range(10):  # bounded: SQS may answer with fewer than it holds
        received += await reader.receive(10, 0)
        if len({m.body for m in received}) == 3:
            break
    assert {m.body for m in received} == {"a", "b", "c"}
    for m in received:
        if m.body != "b":
            await reader.delete(m.receipt)
    again = []
    for _ in range(10):  # bounded
        again += await reader.receive(10, 0)
        if again:
            break
    assert [m.body for m in again] == ["b"]
    await reader.delete(again[0].receipt)
    assert await reader.receive(10, 0) == []
