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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import batch_get, call, create_table, transact
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
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

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
            TableName=self._table, Key=to_item({"orderId": order_id}), ConsistentRead=True,
        )  # fmt: skip
        item = answer.get("Item")
        return None if item is None else _order(item)

    async def save(self, order: Order) -> Order:
        item = _order_item(order, version=order.version + 1)
        try:
            await call(
                OrderStoreUnavailableError, "order table", self._client.put_item,
                TableName=self._table, Item=item, ConditionExpression="version = :v",
                ExpressionAttributeValues=values(v=order.version),
            )  # fmt: skip
        except ClientError as exc:
            raise StaleOrderError(order.order_id) from exc
        return _order(item)

    async def unfinished(self, updated_before: datetime) -> list[Order]:
        # A scan: recovery runs rarely (start-up, a schedule) and reads the whole table once.
        open_statuses = [s for s in OrderStatus if not s.terminal]
        statuses = {f"s{i}": s.value for i, s in enumerate(open_statuses)}
        found: list[Order] = []
        start: dict[str, Any] | None = None
        while True:
            extra: dict[str, Any] = {} if start is None else {"ExclusiveStartKey": start}
            answer = await call(
                OrderStoreUnavailableError, "order table", self._client.scan,
                TableName=self._table,
                FilterExpression=f"#s IN ({', '.join(':' + k for k in statuses)}) "
                "AND updatedAt < :t",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values(t=to_millis(updated_before), **statuses),
                ConsistentRead=True, **extra,
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
        keys: list[dict[str, Any]] = [to_item({"ItemId": i}) for i in dict.fromkeys(item_ids)]
        items = await batch_get(self._client, InventoryUnavailableError, self._table, keys)
        return {c.item_id: c for c in map(_catalogue_item, items)}

    async def add(self, item: CatalogueItem) -> None:
        await call(
            InventoryUnavailableError, "inventory table", self._client.put_item,
            TableName=self._table,
            Item=to_item({
                "ItemId": item.item_id, "ItemName": item.name,
                "ItemsInStock": item.in_stock, "Price": item.price,
            }),
        )  # fmt: skip

    async def reserve(self, order_id: str, lines: Sequence[OrderLine]) -> bool:
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"ItemId": line.product_id}),
                    "UpdateExpression": "SET ItemsInStock = ItemsInStock - :q",
                    "ConditionExpression": "ItemsInStock >= :q",
                    "ExpressionAttributeValues": values(q=line.quantity),
                }
            }
            for line in lines
        ]
        actions.append(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "ItemId": _RESERVATION + order_id,
                            "state": "RESERVED",
                            "lines": [_line(line) for line in lines],
                        }
                    ),
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
        key = to_item({"ItemId": _RESERVATION + order_id})
        answer = await call(
            InventoryUnavailableError, "inventory table", self._client.get_item,
            TableName=self._table, Key=key, ConsistentRead=True,
        )  # fmt: skip
        item = answer.get("Item")
        reservation = None if item is None else from_item(item)
        if reservation is None or reservation["state"] != "RESERVED":
            return  # never reserved, or already released
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": "SET #state = :released",
                    "ConditionExpression": "#state = :reserved",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": values(released="RELEASED", reserved="RESERVED"),
                }
            }
        ]
        for line in reservation["lines"]:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"ItemId": line["productId"]}),
                        "UpdateExpression": "ADD ItemsInStock :q",
                        "ExpressionAttributeValues": values(q=line["quantity"]),
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


def _line(line: OrderLine) -> dict[str, object]:
    return {"productId": line.product_id, "quantity": line.quantity, "unitPrice": line.unit_price}


def _order_item(order: Order, version: int) -> dict[str, AttributeValueTypeDef]:
    return to_item(
        {
            "orderId": order.order_id,
            "userId": order.user_id,
            "status": order.status.value,
            "lines": [_line(line) for line in order.lines],
            "history": [
                {
                    "status": h.status.value,
                    "at": h.at.isoformat(),
                    **({"reason": h.reason} if h.reason else {}),
                }
                for h in order.history
            ],
            "payment": order.payment.value,
            "updatedAt": to_millis(order.updated_at),
            "version": version,
            # Optional: None leaves the attribute out.
            "comment": order.comment,
            "reason": order.reason,
            "failedStep": order.failed_step.value if order.failed_step else None,
            "chargeId": order.charge_id,
            "failAt": order.fail_at.value if order.fail_at else None,
        }
    )


def _order(item: Mapping[str, AttributeValueTypeDef]) -> Order:
    stored = from_item(item)
    failed_step, fail_at = stored.get("failedStep"), stored.get("failAt")
    return Order(
        order_id=stored["orderId"],
        user_id=stored["userId"],
        lines=tuple(
            OrderLine(line["productId"], int(line["quantity"]), line["unitPrice"])
            for line in stored["lines"]
        ),
        status=OrderStatus(stored["status"]),
        history=tuple(
            HistoryEntry(OrderStatus(h["status"]), datetime.fromisoformat(h["at"]), h.get("reason"))
            for h in stored["history"]
        ),
        comment=stored.get("comment"),
        reason=stored.get("reason"),
        failed_step=Step(failed_step) if failed_step else None,
        payment=PaymentState(stored["payment"]),
        charge_id=stored.get("chargeId"),
        fail_at=Step(fail_at) if fail_at else None,
        version=int(stored["version"]),
    )


def _catalogue_item(item: Mapping[str, AttributeValueTypeDef]) -> CatalogueItem:
    stored = from_item(item)
    return CatalogueItem(
        stored["ItemId"], stored["ItemName"], int(stored["ItemsInStock"]), stored["Price"]
    )
