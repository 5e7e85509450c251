"""Orders and inventory in DynamoDB.

``ORDERS_TABLE`` (key ``orderId`` S): one item per order with its lines, status, history and
saga state; every save is conditional on ``version``.

``INVENTORY_TABLE`` (key ``ItemId`` S; ``ItemName`` S, ``ItemsInStock`` N, ``Price`` N): a
reservation takes every line's quantity in one transaction, each update conditional on
``ItemsInStock >= :qty`` (stock never goes below zero), together with a reservation item
``ItemId = "reservation#<orderId>"`` put only if absent, which makes reserving (and releasing)
happen once per order however often it is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.dynamodb.tables import call, create_table, transact
from domain.orders.errors import (
    InventoryUnavailableError,
    OrderStoreUnavailableError,
    StaleOrderError,
)
from domain.orders.model import (
    CatalogueItem,
    HistoryEntry,
    Order,
    OrderLine,
    OrderStatus,
    PaymentState,
    Step,
)
from domain.shared.time import to_millis

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

_T = TypeVar("_T")
_RESERVATION = "reservation#"


class DynamoDBOrderStore:
    """OrderStore on ``ORDERS_TABLE``."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def add(self, order: Order) -> Order:
        created = _order_item(order, version=1)
        try:
            await call(
                OrderStoreUnavailableError, "order table", self._client.put_item,
                TableName=self._table, Item=created,
                ConditionExpression="attribute_not_exists(orderId)",
            )  # fmt: skip
        except ClientError:
            existing = await self.get(order.order_id)
            assert existing is not None
            return existing
        return _order(created)

    async def get(self, order_id: str) -> Order | None:
        answer = await call(
            OrderStoreUnavailableError, "order table", self._client.get_item,
            TableName=self._table, Key={"orderId": {"S": order_id}}, ConsistentRead=True,
        )  # fmt: skip
        item = answer.get("Item")
        return None if item is None else _order(item)

    async def save(self, order: Order) -> Order:
        item = _order_item(order, version=order.version + 1)
        try:
            await call(
                OrderStoreUnavailableError, "order table", self._client.put_item,
                TableName=self._table, Item=item, ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(order.version)}},
            )  # fmt: skip
        except ClientError as exc:
            raise StaleOrderError(order.order_id) from exc
        return _order(item)

    async def unfinished(self, updated_before: datetime) -> list[Order]:
        # A scan: recovery runs rarely (start-up, a schedule) and reads the whole table once.
        open_statuses = [s for s in OrderStatus if not s.terminal]
        values: dict[str, Any] = {f":s{i}": {"S": s.value} for i, s in enumerate(open_statuses)}
        values[":t"] = {"N": str(to_millis(updated_before))}
        found: list[Order] = []
        start: dict[str, Any] | None = None
        while True:
            extra: dict[str, Any] = {} if start is None else {"ExclusiveStartKey": start}
            answer = await call(
                OrderStoreUnavailableError, "order table", self._client.scan,
                TableName=self._table,
                FilterExpression=f"#s IN ({', '.join(k for k in values if k != ':t')}) "
                "AND updatedAt < :t",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values, ConsistentRead=True, **extra,
            )  # fmt: skip
            found += [_order(item) for item in answer["Items"]]
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return found


class DynamoDBInventory:
    """Inventory on ``INVENTORY_TABLE`` (see the module docstring)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def items(self, item_ids: Sequence[str]) -> dict[str, CatalogueItem]:
        found: dict[str, CatalogueItem] = {}
        wanted = list(dict.fromkeys(item_ids))
        for start in range(0, len(wanted), 100):  # BatchGetItem takes 100 keys at most
            keys: list[dict[str, Any]] = [{"ItemId": {"S": i}} for i in wanted[start : start + 100]]
            for _ in range(10):  # unprocessed keys are retried, a bounded number of times
                answer = await call(
                    InventoryUnavailableError, "inventory table", self._client.batch_get_item,
                    RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}},
                )  # fmt: skip
                responses: list[dict[str, Any]] = list(answer["Responses"].get(self._table, ()))
                for item in responses:
                    found[item["ItemId"]["S"]] = _catalogue_item(item)
                unprocessed: Any = answer.get("UnprocessedKeys") or {}
                keys = list(unprocessed.get(self._table, {}).get("Keys", []))
                if not keys:
                    break
                await asyncio.sleep(0.05)
            else:
                raise InventoryUnavailableError("The inventory table kept throttling reads.")
        return found

    async def add(self, item: CatalogueItem) -> None:
        await call(
            InventoryUnavailableError, "inventory table", self._client.put_item,
            TableName=self._table,
            Item={
                "ItemId": {"S": item.item_id}, "ItemName": {"S": item.name},
                "ItemsInStock": {"N": str(item.in_stock)}, "Price": {"N": str(item.price)},
            },
        )  # fmt: skip

    async def reserve(self, order_id: str, lines: Sequence[OrderLine]) -> bool:
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"ItemId": {"S": line.product_id}},
                    "UpdateExpression": "SET ItemsInStock = ItemsInStock - :q",
                    "ConditionExpression": "ItemsInStock >= :q",
                    "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                }
            }
            for line in lines
        ]
        actions.append(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "ItemId": {"S": _RESERVATION + order_id},
                        "state": {"S": "RESERVED"},
                        "lines": {"L": [_line_item(line) for line in lines]},
                    },
                    "ConditionExpression": "attribute_not_exists(ItemId)",
                }
            }
        )
        reasons = await transact(
            self._client, InventoryUnavailableError, "inventory table", actions
        )
        if not reasons or reasons[-1] == "ConditionalCheckFailed":
            return True  # reserved now, or by an earlier try (this order's reservation exists)
        if "ConditionalCheckFailed" in reasons:
            return False  # some line lacks stock; the transaction took nothing
        raise InventoryUnavailableError(f"The inventory reservation was cancelled ({reasons}).")

    async def release(self, order_id: str) -> None:
        key = {"ItemId": {"S": _RESERVATION + order_id}}
        answer = await call(
            InventoryUnavailableError, "inventory table", self._client.get_item,
            TableName=self._table, Key=key, ConsistentRead=True,
        )  # fmt: skip
        reservation = answer.get("Item")
        if reservation is None or reservation["state"]["S"] != "RESERVED":
            return  # never reserved, or already released
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": "SET #state = :released",
                    "ConditionExpression": "#state = :reserved",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":released": {"S": "RELEASED"},
                        ":reserved": {"S": "RESERVED"},
                    },
                }
            }
        ]
        for line in reservation["lines"]["L"]:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"ItemId": line["M"]["productId"]},
                        "UpdateExpression": "ADD ItemsInStock :q",
                        "ExpressionAttributeValues": {":q": line["M"]["quantity"]},
                    }
                }
            )
        reasons = await transact(
            self._client, InventoryUnavailableError, "inventory table", actions
        )
        if reasons and reasons[0] != "ConditionalCheckFailed":
            raise InventoryUnavailableError(f"The inventory release was cancelled ({reasons}).")
        # Cancelled on the reservation's condition: released meanwhile by another try.


def create_orders_table(client: DynamoDBClient, table: str) -> bool:
    return create_table(client, table, "orderId")


def create_inventory_table(client: DynamoDBClient, table: str) -> bool:
    return create_table(client, table, "ItemId")


# -- item <-> model -------------------------------------------------------------------------


def _line_item(line: OrderLine) -> dict[str, Any]:
    return {
        "M": {
            "productId": {"S": line.product_id},
            "quantity": {"N": str(line.quantity)},
            "unitPrice": {"N": str(line.unit_price)},
        }
    }


def _order_item(order: Order, version: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "orderId": {"S": order.order_id},
        "userId": {"S": order.user_id},
        "status": {"S": order.status.value},
        "lines": {"L": [_line_item(line) for line in order.lines]},
        "history": {
            "L": [
                {
                    "M": {
                        "status": {"S": h.status.value},
                        "at": {"S": h.at.isoformat()},
                        **({"reason": {"S": h.reason}} if h.reason else {}),
                    }
                }
                for h in order.history
            ]
        },
        "payment": {"S": order.payment.value},
        "updatedAt": {"N": str(to_millis(order.updated_at))},
        "version": {"N": str(version)},
    }
    optional = {
        "comment": order.comment,
        "reason": order.reason,
        "failedStep": order.failed_step.value if order.failed_step else None,
        "chargeId": order.charge_id,
        "failAt": order.fail_at.value if order.fail_at else None,
    }
    item.update({name: {"S": value} for name, value in optional.items() if value is not None})
    return item


def _order(item: dict[str, Any]) -> Order:
    def text(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    failed_step, fail_at = text("failedStep"), text("failAt")
    return Order(
        order_id=item["orderId"]["S"],
        user_id=item["userId"]["S"],
        lines=tuple(
            OrderLine(
                line["M"]["productId"]["S"],
                int(line["M"]["quantity"]["N"]),
                Decimal(line["M"]["unitPrice"]["N"]),
            )
            for line in item["lines"]["L"]
        ),
        status=OrderStatus(item["status"]["S"]),
        history=tuple(
            HistoryEntry(
                OrderStatus(h["M"]["status"]["S"]),
                datetime.fromisoformat(h["M"]["at"]["S"]),
                h["M"]["reason"]["S"] if "reason" in h["M"] else None,
            )
            for h in item["history"]["L"]
        ),
        comment=text("comment"),
        reason=text("reason"),
        failed_step=Step(failed_step) if failed_step else None,
        payment=PaymentState(item["payment"]["S"]),
        charge_id=text("chargeId"),
        fail_at=Step(fail_at) if fail_at else None,
        version=int(item["version"]["N"]),
    )


def _catalogue_item(item: dict[str, Any]) -> CatalogueItem:
    return CatalogueItem(
        item["ItemId"]["S"],
        item["ItemName"]["S"],
        int(item["ItemsInStock"]["N"]),
        Decimal(item["Price"]["N"]),
    )
