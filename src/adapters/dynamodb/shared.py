"""Shared-kernel adapters on DynamoDB: the idempotency store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import call, create_table
from domain.shared.idempotency import (
    IdempotencyRecord,
    IdempotencyStoreUnavailableError,
    RecordStatus,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoDBIdempotencyStore:
    """IdempotencyStore on ``IDEMPOTENCY_TABLE`` (key ``id``; TTL attribute ``expiration``).

    The record is taken with one conditional put: absent, expired, or an INPROGRESS lock that
    lapsed; otherwise the stored record comes back with the condition failure (ALL_OLD).
    """

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Any, **kwargs: Any) -> Any:
        return await call(
            IdempotencyStoreUnavailableError,
            "idempotency table",
            fn,
            TableName=self._table,
            **kwargs,
        )

    async def acquire(self, record: IdempotencyRecord, now: int) -> IdempotencyRecord | None:
        try:
            await self._run(
                self._client.put_item,
                Item=to_item(
                    {
                        "id": record.key,
                        "status": record.status.value,
                        "payloadHash": record.payload_hash,
                        "expiration": record.expiration,
                        "inProgressExpiration": record.in_progress_expiration,
                    }
                ),
                ConditionExpression=(
                    "attribute_not_exists(id) OR expiration <= :now_s OR "
                    "(#status = :inprogress AND inProgressExpiration <= :now_ms)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values(
                    now_s=now // 1000, now_ms=now, inprogress=RecordStatus.INPROGRESS.value
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            item: Any = exc.response.get("Item")
            if item is None:  # the condition failed, so a record exists: read it
                answer = await self._run(
                    self._client.get_item, Key=to_item({"id": record.key}), ConsistentRead=True
                )
                item = answer.get("Item")
            if item is None:
                raise IdempotencyStoreUnavailableError("The idempotency record vanished.") from exc
            stored = from_item(item)
            return IdempotencyRecord(
                key=stored["id"],
                status=RecordStatus(stored["status"]),
                payload_hash=stored["payloadHash"],
                expiration=int(stored["expiration"]),
                in_progress_expiration=int(stored["inProgressExpiration"]),
                response=stored.get("response"),
            )
        return None

    async def complete(self, key: str, response: str, expiration: int) -> None:
        await self._run(
            self._client.update_item,
            Key=to_item({"id": key}),
            UpdateExpression="SET #status = :done, #response = :r, expiration = :e",
            ExpressionAttributeNames={"#status": "status", "#response": "response"},
            ExpressionAttributeValues=values(
                done=RecordStatus.COMPLETED.value, r=response, e=expiration
            ),
        )

    async def release(self, key: str) -> None:
        await self._run(self._client.delete_item, Key=to_item({"id": key}))


def create_idempotency_table(client: DynamoDBClient, table: str) -> bool:
    """Create the table (key ``id``, TTL on ``expiration``) unless it exists."""
    return create_table(client, table, "id", ttl_attribute="expiration")
