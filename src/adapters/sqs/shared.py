"""Shared-kernel adapters on SQS: dead letters."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from domain.shared.errors import UnavailableError

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)


class DeadLettersUnavailableError(UnavailableError):
    code = "dead-letters-unavailable"
    title = "Dead-letter queue unavailable"


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
