"""StockRepository contract, run against every adapter of the port."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from adapters.memory.stocks import InMemoryStockRepository
from domain.stocks.model import Stock
from ports.stocks import StockRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "dynamodb"])
def repository(request: pytest.FixtureRequest, table_name: str) -> StockRepository:
    if request.param == "memory":
        return InMemoryStockRepository()
    from adapters.dynamodb.stocks import DynamoDBStockRepository, create_stocks_table

    client: DynamoDBClient = request.getfixturevalue("dynamodb")
    create_stocks_table(client, table_name)
    return DynamoDBStockRepository(client, table_name)


async def test_unknown_stock_is_none(repository: StockRepository) -> None:
    assert await repository.get("NOPE") is None


async def test_added_stock_comes_back_exactly(repository: StockRepository) -> None:
    await repository.add(Stock("AMZN", Decimal("1234.567890123456789")))
    assert await repository.get("AMZN") == Stock("AMZN", Decimal("1234.567890123456789"))


async def test_ids_match_exactly_and_case_sensitively(repository: StockRepository) -> None:
    await repository.add(Stock("AMZN", Decimal("1")))
    await repository.add(Stock("amzn", Decimal("2")))
    assert await repository.get("AMZN") == Stock("AMZN", Decimal("1"))
    assert await repository.get("amzn") == Stock("amzn", Decimal("2"))
    assert await repository.get("AMZ") is None


async def test_add_replaces_the_value(repository: StockRepository) -> None:
    await repository.add(Stock("MSFT", Decimal("1")))
    await repository.add(Stock("MSFT", Decimal("2.50")))
    stored = await repository.get("MSFT")
    assert stored is not None
    assert stored.value == Decimal("2.5")
