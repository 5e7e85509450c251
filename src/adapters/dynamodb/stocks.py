"""DynamoDB stock repository: one item per stock, ``STOCK_ID`` (S) key, ``VALUE`` (N)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from adapters.dynamodb.codec import from_item, to_item
from adapters.dynamodb.tables import create_table
from domain.stocks.errors import StockStoreUnavailableError
from domain.stocks.model import Stock

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


class DynamoDBStockRepository:
    """StockRepository on a DynamoDB table (low-level client: numbers come back as exact
    Decimals, never floats).

    boto3 is synchronous; calls run in a worker thread so the event loop keeps serving.
    """

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def get(self, stock_id: str) -> Stock | None:
        try:
            answer = await asyncio.to_thread(
                self._client.get_item,
                TableName=self._table,
                Key=to_item({"STOCK_ID": stock_id}),
                ProjectionExpression="STOCK_ID, #v",
                ExpressionAttributeNames={"#v": "VALUE"},  # VALUE is a reserved word
            )
        except (BotoCoreError, ClientError) as exc:
            raise StockStoreUnavailableError("The stock table cannot be read.") from exc
        item = answer.get("Item")
        if item is None:
            return None
        value = from_item(item).get("VALUE")
        if not isinstance(value, Decimal):
            raise StockStoreUnavailableError(f"The stock item {stock_id!r} has no numeric VALUE.")
        return Stock(stock_id, value)

    async def add(self, stock: Stock) -> None:
        try:
            await asyncio.to_thread(
                self._client.put_item,
                TableName=self._table,
                Item=to_item({"STOCK_ID": stock.stock_id, "VALUE": stock.value}),
            )
        except (BotoCoreError, ClientError) as exc:
            raise StockStoreUnavailableError("The stock table cannot be written.") from exc


def create_stocks_table(client: DynamoDBClient, table: str) -> bool:
    """Create the table (key ``STOCK_ID``) unless it exists; True when it was created."""
    return create_table(client, table, "STOCK_ID")
