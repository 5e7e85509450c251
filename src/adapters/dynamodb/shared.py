"""Shared-kernel adapters on DynamoDB: the idempotency store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

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
                Item={
                    "id": {"S": record.key},
                    "status": {"S": record.status.value},
                    "payloadHash": {"S": record.payload_hash},
                    "expiration": {"N": str(record.expiration)},
                    "inProgressExpiration": {"N": str(record.in_progress_expiration)},
                },
                ConditionExpression=(
                    "attribute_not_exists(id) OR expiration <= :now_s OR "
                    "(#status = :inprogress AND inProgressExpiration <= :now_ms)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":now_s": {"N": str(now // 1000)},
                    ":now_ms": {"N": str(now)},
                    ":inprogress": {"S": RecordStatus.INPROGRESS.value},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            item: Any = exc.response.get("Item")
            if item is None:  # the condition failed, so a record exists: read it
                answer = await self._run(
                    self._client.get_item, Key={"id": {"S": record.key}}, ConsistentRead=True
                )
                item = answer.get("Item")
            if item is None:
                raise IdempotencyStoreUnavailableError("The idempotency record vanished.") from exc
            return IdempotencyRecord(
                key=item["id"]["S"],
                status=RecordStatus(item["status"]["S"]),
                payload_hash=item["payloadHash"]["S"],
                expiration=int(item["expiration"]["N"]),
                in_progress_expiration=int(item["inProgressExpiration"]["N"]),
                response=item["response"]["S"] if "response" in item else None,
            )
        return None

    async def complete(self, key: str, response: str, expiration: int) -> None:
        await self._run(
            self._client.update_item,
            Key={"id": {"S": key}},
            UpdateExpression="SET #status = :done, #response = :r, expiration = :e",
            ExpressionAttributeNames={"#status": "status", "#response": "response"},
            ExpressionAttributeValues={
                ":done": {"S": RecordStatus.COMPLETED.value},
                ":r": {"S": response},
                ":e": {"N": str(expiration)},
            },
        )

    async def release(self, key: str) -> None:
        await self._run(self._client.delete_item, Key={"id": {"S": key}})


def create_idempotency_table(client: DynamoDBClient, table: str) -> bool:
    """Create the table (key ``id``, TTL on ``expiration``) unless it exists."""
    return create_table(client, table, "id", ttl_attribute="expiration")
