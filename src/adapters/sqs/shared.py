"""Shared-kernel adapters on SQS: dead letters, and a queue reader."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from adapters.boto import call
from domain.shared.errors import UnavailableError
from domain.shared.events import QueuedMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)


class DeadLettersUnavailableError(UnavailableError):
    code = "dead-letters-unavailable"
    title = "Dead-letter queue unavailable"


class QueueUnavailableError(UnavailableError):
    code = "queue-unavailable"
    title = "Queue unavailable"


class SQSQueueReader:
    """QueueReader on an SQS queue (long polling; a message not deleted reappears after the
    queue's visibility timeout)."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue = queue_url

    async def receive(self, max_messages: int, wait_seconds: float) -> list[QueuedMessage]:
        answer = await call(
            QueueUnavailableError,
            "queue receive",
            self._client.receive_message,
            QueueUrl=self._queue,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=max(0, min(20, round(wait_seconds))),
        )
        return [QueuedMessage(m["ReceiptHandle"], m["Body"]) for m in answer.get("Messages", [])]

    async def delete(self, receipt: str) -> None:
        await call(
            QueueUnavailableError,
            "queue delete",
            self._client.delete_message,
            QueueUrl=self._queue,
            ReceiptHandle=receipt,
        )


class SQSDeadLetters:
    """DeadLetters on an SQS queue: one message per letter, ``{"source", "reason",
    "payload"}`` as JSON, with ``source`` also as a message attribute."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue = queue_url

    async def send(self, source: str, payload: str, reason: str) -> None:
        body = json.dumps({"source": source, "reason": reason, "payload": payload})
        try:
            await asyncio.to_thread(
                self._client.send_message,
                QueueUrl=self._queue,
                MessageBody=body,
                MessageAttributes={"source": {"DataType": "String", "StringValue": source}},
            )
        except (BotoCoreError, ClientError) as exc:
            # The letter must not vanish silently: it is in the log, and the caller learns.
            log.error("dead letter not queued (%s): %s", exc, body)
            raise DeadLettersUnavailableError("The dead-letter queue cannot be reached.") from exc
