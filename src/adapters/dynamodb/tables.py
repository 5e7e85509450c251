"""What the DynamoDB adapters share: boto3 calls with their expected outcomes, and table
creation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.boto import call as boto_call
from domain.shared.errors import UnavailableError
from domain.shared.retry import Retry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


_T = TypeVar("_T")
#: Outcomes the adapters decide on themselves; every other vendor error becomes ``error``.
CONDITION_FAILED = {"ConditionalCheckFailedException"}


async def call(
    error: type[UnavailableError], what: str, fn: Callable[..., _T], **kwargs: Any
) -> _T:
    """``adapters.boto.call`` with DynamoDB's expected outcome: a failed condition passes
    through as ClientError (transactions go through ``transact``)."""
    return await boto_call(error, what, fn, expected=CONDITION_FAILED, **kwargs)


#: Attempts at a transaction cancelled by a concurrent one on the same items.
#: Tries of a transaction cancelled by a concurrent one (a conflict only this adapter sees).
TRANSACT_RETRY = Retry(attempts=5, base=0.01, cap=0.2)


async def transact(
    client: DynamoDBClient,
    error: type[UnavailableError],
    what: str,
    actions: list[dict[str, Any]],
) -> list[str]:
    """TransactWriteItems: ``[]`` when it applied, else why it was cancelled: one reason code
    per action, in order (``"None"`` for an action that was not the cause), e.g.
    ``"ConditionalCheckFailed"``. A cancellation by a concurrent transaction
    (``TransactionConflict``) is tried again with jittered backoff, then raised as ``error``."""
    for attempt in range(TRANSACT_RETRY.attempts):
        try:
            await boto_call(
                error,
                what,
                client.transact_write_items,
                expected={"TransactionCanceledException"},
                TransactItems=actions,
            )
        except ClientError as exc:
            reasons = [
                str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])
            ]
            if "TransactionConflict" not in reasons:
                return reasons or ["Unknown"]
            await TRANSACT_RETRY.pause(attempt)
        else:
            return []
    raise error(f"The {what} kept cancelling a transaction for concurrent writes.")


#: BatchGetItem's limit of keys per call.
BATCH_GET_KEYS = 100
#: Tries of the keys a BatchGetItem left unprocessed (a partial answer boto3 sees as success).
_BATCH_GET_RETRY = Retry(attempts=10, base=0.001, cap=0.05)


async def batch_get(
    client: DynamoDBClient,
    error: type[UnavailableError],
    table: str,
    keys: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The items of ``keys`` that exist (any order), read consistently, 100 keys a call,
    unprocessed keys asked again with jittered backoff; ``error`` if throttling persists."""
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), BATCH_GET_KEYS):
        chunk = keys[start : start + BATCH_GET_KEYS]
        request: Any = {table: {"Keys": chunk, "ConsistentRead": True}}
        for attempt in range(_BATCH_GET_RETRY.attempts):
            answer = await call(error, table, client.batch_get_item, RequestItems=request)
            items += answer["Responses"].get(table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            await _BATCH_GET_RETRY.pause(attempt)
        else:
            raise error(f"The table {table} keeps throttling reads.")
    return items


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


def expiring(expires_at: int) -> dict[str, int]:
    """An item's expiry (epoch ms) as its attributes: ``expiresAt``, which reads compare
    (DynamoDB deletes expired items late), and ``expiration``, the TTL attribute (seconds)."""
    return {"expiresAt": expires_at, "expiration": expires_at // 1000 + 1}
