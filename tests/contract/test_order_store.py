"""OrderStore contract: in memory and DynamoDB (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.memory.orders import InMemoryOrderStore
from domain.orders.errors import StaleOrderError
from domain.orders.model import HistoryEntry, Order, OrderLine, OrderStatus, PaymentState, Step
from ports.orders import OrderStore
from tests.support.services import dynamodb_client

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 11, 20, 9, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[OrderStore]:
    if request.param == "memory":
        yield InMemoryOrderStore()
        return
    from adapters.dynamodb.orders import DynamoDBOrderStore, create_orders_table

    env = request.getfixturevalue("aws_env")
    table = f"orders-{uuid.uuid4().hex[:8]}"
    create_orders_table(dynamodb_client(env), table)
    yield DynamoDBOrderStore(dynamodb_client(env), table)


def an_order(order_id: str = "o-1", at: datetime = T0) -> Order:
    return Order(
        order_id=order_id,
        user_id="user@example.com",
        lines=(OrderLine("ITEM001", 3, Decimal("2.50")), OrderLine("ITEM003", 1, Decimal("3.10"))),
        status=OrderStatus.PENDING,
        history=(HistoryEntry(OrderStatus.PENDING, at),),
        comment="ring twice",
        fail_at=Step.MAKE_PAYMENT,
    )


async def test_an_order_comes_back_exactly(store: OrderStore) -> None:
    added = await store.add(an_order())
    assert added == replace(an_order(), version=1)
    assert await store.get("o-1") == added
    assert await store.get("unknown") is None


async def test_adding_an_existing_order_returns_the_stored_one(store: OrderStore) -> None:
    first = await store.add(an_order())
    moved = await store.save(first.moved_to(OrderStatus.ORDER_PLACED, T0))
    assert await store.add(an_order()) == moved  # not overwritten


async def test_saves_are_versioned(store: OrderStore) -> None:
    added = await store.add(an_order())
    failed = added.failed(Step.UPDATE_INVENTORY, "OUT_OF_STOCK", T0 + timedelta(seconds=1))
    saved = await store.save(replace(failed, payment=PaymentState.CHARGED, charge_id="ch_1"))
    assert saved.version == 2
    assert await store.get("o-1") == saved
    assert (saved.failed_step, saved.reason, saved.status) == (
        Step.UPDATE_INVENTORY, "OUT_OF_STOCK", OrderStatus.COMPENSATING,
    )  # fmt: skip
    assert saved.history[-1].reason == "UpdateInventory failed: OUT_OF_STOCK"
    with pytest.raises(StaleOrderError):
        await store.save(added.moved_to(OrderStatus.ORDER_PLACED, T0))


async def test_unfinished_lists_idle_non_terminal_orders(store: OrderStore) -> None:
    await store.add(an_order("old"))
    await store.add(an_order("recent", T0 + timedelta(minutes=5)))
    done = await store.add(an_order("done"))
    await store.save(done.moved_to(OrderStatus.COMPLETED, T0))
    found = await store.unfinished(T0 + timedelta(minutes=1))
    assert [o.order_id for o in found] == ["old"]
