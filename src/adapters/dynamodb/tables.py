"""Creating the simple tables the DynamoDB adapters use (one string hash key)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


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
