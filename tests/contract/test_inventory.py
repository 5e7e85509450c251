"""Inventory contract: in memory and DynamoDB (moto, one request at a time like AWS's items)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from adapters.memory.orders import InMemoryInventory
from domain.orders.model import CatalogueItem, OrderLine
from ports.orders import Inventory
from tests.support.services import dynamodb_client


@pytest.fixture(params=["memory", "dynamodb"])
def open_inventory(request: pytest.FixtureRequest) -> Iterator[Callable[[], Inventory]]:
    if request.param == "memory":
        shared = InMemoryInventory()
        yield lambda: shared
        return
    from adapters.dynamodb.orders import DynamoDBInventory, create_inventory_table

    env = request.getfixturevalue("aws_env")
    table = f"inventory-{uuid.uuid4().hex[:8]}"
    create_inventory_table(dynamodb_client(env), table)
    yield lambda: DynamoDBInventory(dynamodb_client(env), table)


def stocked(inventory: Inventory, **stock: int) -> None:
    async def add() -> None:
        for item_id, count in stock.items():
            await inventory.add(CatalogueItem(item_id, item_id.title(), count, Decimal("2.50")))

    asyncio.run(add())


def levels(inventory: Inventory, *item_ids: str) -> list[int]:
    found = asyncio.run(inventory.items(list(item_ids)))
    return [found[i].in_stock for i in item_ids]


def line(item_id: str, quantity: int) -> OrderLine:
    return OrderLine(item_id, quantity, Decimal("2.50"))


def test_items_come_back_exactly_and_missing_ones_are_left_out(
    open_inventory: Callable[[], Inventory],
) -> None:
    inventory = open_inventory()
    stocked(inventory, soap=3)
    found = asyncio.run(inventory.items(["soap", "nope", "soap"]))
    assert found == {"soap": CatalogueItem("soap", "Soap", 3, Decimal("2.50"))}


def test_a_reservation_takes_all_lines_or_none(open_inventory: Callable[[], Inventory]) -> None:
    inventory = open_inventory()
    stocked(inventory, soap=5, brush=1)
    assert not asyncio.run(inventory.reserve("o1", [line("soap", 2), line("brush", 2)]))
    assert levels(inventory, "soap", "brush") == [5, 1]
    assert not asyncio.run(inventory.reserve("o2", [line("soap", 1), line("ghost", 1)]))
    assert asyncio.run(inventory.reserve("o3", [line("soap", 5), line("brush", 1)]))
    assert levels(inventory, "soap", "brush") == [0, 0]


def test_reserve_and_release_happen_once_per_order(
    open_inventory: Callable[[], Inventory],
) -> None:
    inventory = open_inventory()
    stocked(inventory, soap=10)
    for _ in range(3):
        assert asyncio.run(inventory.reserve("o1", [line("soap", 4)]))
    assert levels(inventory, "soap") == [6]
    for _ in range(3):
        asyncio.run(inventory.release("o1"))
    assert levels(inventory, "soap") == [10]
    asyncio.run(inventory.release("never-reserved"))
    assert levels(inventory, "soap") == [10]


def test_concurrent_reservations_never_oversell(open_inventory: Callable[[], Inventory]) -> None:
    stocked(open_inventory(), soap=10)

    def reserve(i: int) -> bool:
        return asyncio.run(open_inventory().reserve(f"order-{i}", [line("soap", 1)]))

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(reserve, range(30)))
    assert outcomes.count(True) == 10
    assert levels(open_inventory(), "soap") == [0]
