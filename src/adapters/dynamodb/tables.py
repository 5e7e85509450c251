"""What the DynamoDB adapters share: calling boto3 off the event loop, and table creation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from domain.shared.errors import UnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


_T = TypeVar("_T")
#: Outcomes the adapters decide on themselves; every other vendor error becomes ``error``.
CONDITION_FAILED = {"ConditionalCheckFailedException", "TransactionCanceledException"}


async def call(
    error: type[UnavailableError], what: str, fn: Callable[..., _T], **kwargs: Any
) -> _T:
    """Run a (synchronous) boto3 call in a worker thread. Conditional failures pass through
    as ClientError; any other failure is raised as ``error`` (the vendor error chained)."""
    try:
        return await asyncio.to_thread(fn, **kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in CONDITION_FAILED:
            raise
        raise error(f"The {what} failed.") from exc
    except BotoCoreError as exc:
        raise error(f"The {what} is unreachable.") from exc


def create_table(
    client: DynamoDBClient, table: str, key: str, *, ttl_attribute: str | None = None
) -> bool:
    """Create an on-demand table keyed by ``key`` (S), with TTL on ``ttl_attribute`` if given,
    unless it exists; True when it was created."""
    try:
        client.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table)
    if ttl_attribute is not None:
        client.update_time_to_live(
            TableName=table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )
    return True
