"""Shared-kernel adapters on SNS: the event publisher."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from domain.shared.events import DomainEvent, EventPublishingUnavailableError, event_message

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient


class SNSEventPublisher:
    """EventPublisher on an SNS topic: the message is the event as JSON (``event_message``:
    ``eventId``, ``name``, the publishing work's ``correlationId`` and the payload's fields);
    ``name`` is also a message attribute, for filter policies. On a FIFO topic the event id
    is the deduplication id."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn
        self._fifo = topic_arn.endswith(".fifo")

    async def publish(self, event: DomainEvent) -> None:
        message = event_message(event.correlated())
        extra: dict[str, Any] = {}
        if self._fifo:
            extra = {"MessageDeduplicationId": event.event_id[:128], "MessageGroupId": event.name}
        try:
            await asyncio.to_thread(
                self._client.publish,
                TopicArn=self._topic,
                Message=message,
                MessageAttributes={"name": {"DataType": "String", "StringValue": event.name}},
                **extra,
            )
        except (BotoCoreError, ClientError) as exc:
            raise EventPublishingUnavailableError("The event topic cannot be reached.") from exc
