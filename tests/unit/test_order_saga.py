"""The order saga on in-memory adapters: every step and every compensation, failing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.orders import (
    DEMO_CATALOGUE,
    InMemoryInventory,
    InMemoryOrderStore,
    InMemoryPaymentGateway,
)
from adapters.memory.shared import (
    InMemoryDeadLetters,
    InMemoryEventPublisher,
    InMemoryIdempotencyStore,
)
from domain.orders.errors import (
    InventoryUnavailableError,
    OrderStoreUnavailableError,
    PaymentUnavailableError,
)
from domain.orders.model import (
    Order,
    OrderLine,
    OrderStatus,
    PaymentState,
    PlaceOrderRequest,
    new_order,
    price_lines,
)
from domain.orders.saga import InProcessOrchestrator, OrderSaga
from domain.orders.service import OrderService
from tests.support.fakes import ManualClock
from tests.support.wire import order

pytestmark = pytest.mark.anyio


class FlakyInventory(InMemoryInventory):
    """Fails the named operations a number of times before working (transiently)."""

    def __init__(self) -> None:
        super().__init__(DEMO_CATALOGUE)
        self.failures: dict[str, int] = {}

    def _maybe_fail(self, operation: str) -> None:
        if self.failures.get(operation, 0) > 0:
            self.failures[operation] -= 1
            raise InventoryUnavailableError(f"{operation} down")

    async def reserve(self, order_id: str, lines: Sequence[OrderLine]) -> bool:
        self._maybe_fail("reserve")
        return await super().reserve(order_id, lines)

    async def release(self, order_id: str) -> None:
        self._maybe_fail("release")
        await super().release(order_id)


class FlakyGateway(InMemoryPaymentGateway):
    def __init__(self, decline_over: Decimal | None = None) -> None:
        super().__init__(decline_over)
        self.failures: dict[str, int] = {}
        #: A charge that goes through but whose answer is lost (a timeout after the fact).
        self.lose_charge_answers = 0

    async def charge(self, order_id: str, amount: Decimal, currency: str, key: str) -> str:
        if self.failures.get("charge", 0) > 0:
            self.failures["charge"] -= 1
            raise PaymentUnavailableError("charge down")
        charge_id = await super().charge(order_id, amount, currency, key)
        if self.lose_charge_answers > 0:
            self.lose_charge_answers -= 1
            raise PaymentUnavailableError("timed out after charging")
        return charge_id

    async def refund(self, charge_id: str, amount: Decimal, key: str) -> str:
        if self.failures.get("refund", 0) > 0:
            self.failures["refund"] -= 1
            raise PaymentUnavailableError("refund down")
        return await super().refund(charge_id, amount, key)


class CrashingOrderStore(InMemoryOrderStore):
    """Dies (like a killed process) on the save that would move an order into a status."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_before: OrderStatus | None = None

    async def save(self, order: Order) -> Order:
        if order.status is self.crash_before:
            self.crash_before = None
            raise OrderStoreUnavailableError("process killed")
        return await super().save(order)


@dataclass
class Shop:
    clock: ManualClock = field(default_factory=ManualClock)
    orders: CrashingOrderStore = field(default_factory=CrashingOrderStore)
    inventory: FlakyInventory = field(default_factory=FlakyInventory)
    payments: FlakyGateway = field(default_factory=FlakyGateway)
    events: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    dead_letters: InMemoryDeadLetters = field(default_factory=InMemoryDeadLetters)

    def service(self) -> OrderService:
        saga = OrderSaga(
            self.orders, self.inventory, self.payments, self.events, self.dead_letters,
            self.clock, attempts=3, backoff_seconds=0.001,
        )  # fmt: skip
        return OrderService(
            self.orders, self.inventory, InProcessOrchestrator(saga),
            InMemoryIdempotencyStore(), self.clock, fault_injection=True,
        )  # fmt: skip

    async def stock(self, item_id: str = "ITEM001") -> int:
        return (await self.inventory.items([item_id]))[item_id].in_stock


def body(token: str = "t1", quantity: int = 4, **extra: Any) -> PlaceOrderRequest:
    """An order request as the HTTP edge builds it from this body."""
    items = [
        {"productId": "ITEM001", "quantity": quantity},
        {"productId": "ITEM003", "quantity": 1},
    ]
    return order({"requestToken": token, "userId": "u1", "items": items, **extra})


def statuses(order: Order) -> list[str]:
    return [h.status.value for h in order.history]


async def test_a_good_order_completes() -> None:
    shop = Shop()
    order = await shop.service().place(body())
    assert order.status is OrderStatus.COMPLETED
    assert statuses(order) == [
        "PENDING", "ORDER_PLACED", "INVENTORY_UPDATED", "PAYMENT_COMPLETED", "COMPLETED",
    ]  # fmt: skip
    assert order.total == Decimal("13.10")  # 4 x 2.50 + 3.10
    assert await shop.stock() == 996
    assert await shop.stock("ITEM003") == 1999
    assert shop.payments.net_charged == Decimal("13.10")
    assert [e.name for e in shop.events.published] == ["OrderCompleted"]


@pytest.mark.parametrize(
    ("stage", "trail"),
    [
        ("PlaceOrder", ["PENDING", "COMPENSATING", "CANCELLED"]),
        ("UpdateInventory", ["PENDING", "ORDER_PLACED", "COMPENSATING", "CANCELLED"]),
        (
            "MakePayment",
            ["PENDING", "ORDER_PLACED", "INVENTORY_UPDATED", "COMPENSATING", "CANCELLED"],
        ),
    ],
)
async def test_an_injected_failure_at_each_step_cancels_and_restores(
    stage: str, trail: list[str]
) -> None:
    shop = Shop()
    order = await shop.service().place(body(failAtStage=stage))
    assert order.status is OrderStatus.CANCELLED
    assert (order.failed_step, order.reason) == (stage, "INJECTED_FAILURE")
    assert statuses(order) == trail
    assert await shop.stock() == 1000
    assert shop.payments.net_charged == 0
    assert shop.payments.refunds == {}  # nothing was taken, so nothing is "refunded"
    assert [e.name for e in shop.events.published] == ["OrderCancelled"]
    assert await shop.service().order(order.order_id) == order  # cancelled, still readable


async def test_out_of_stock_cancels_without_touching_stock() -> None:
    shop = Shop()
    order = await shop.service().place(body(quantity=1001))
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "OUT_OF_STOCK")
    assert await shop.stock() == 1000
    assert await shop.stock("ITEM003") == 2000  # all lines or none


async def test_a_declined_payment_cancels_without_a_refund() -> None:
    shop = Shop(payments=FlakyGateway(decline_over=Decimal("5")))
    order = await shop.service().place(body())
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "PAYMENT_DECLINED")
    assert order.payment is PaymentState.DECLINED
    assert shop.payments.refunds == {}
    assert await shop.stock() == 1000


async def test_transient_failures_are_retried_within_bounds() -> None:
    shop = Shop()
    shop.inventory.failures["reserve"] = 2
    shop.payments.failures["charge"] = 2
    order = await shop.service().place(body())
    assert order.status is OrderStatus.COMPLETED
    assert len(shop.payments.charges) == 1


async def test_as_a_step_functions_task_a_step_tries_once_and_raises_for_the_retry() -> None:
    shop = Shop()
    saga = OrderSaga(
        shop.orders, shop.inventory, shop.payments, shop.events, shop.dead_letters, shop.clock,
        attempts=3, backoff_seconds=0.001,
    ).as_task()  # fmt: skip
    request = body()
    lines = price_lines(request, {i.item_id: i for i in DEMO_CATALOGUE})
    placed = await saga.place_order(
        await shop.orders.add(new_order(request, lines, shop.clock.now(), None))
    )
    shop.inventory.failures["reserve"] = 2
    with pytest.raises(InventoryUnavailableError):
        await saga.update_inventory(placed)
    assert shop.inventory.failures["reserve"] == 1  # one call, not the in-process three
    assert (await shop.orders.get(placed.order_id)).status is OrderStatus.ORDER_PLACED  # type: ignore[union-attr]
    shop.payments.failures["charge"] = 1
    with pytest.raises(InventoryUnavailableError):  # the state machine's first retry
        await saga.update_inventory(placed)
    updated = await saga.update_inventory(placed)  # its second: through
    with pytest.raises(PaymentUnavailableError):
        await saga.make_payment(updated)
    assert len(shop.payments.charges) == 0


async def test_a_payment_whose_outcome_is_lost_is_found_and_refunded() -> None:
    shop = Shop()
    shop.payments.lose_charge_answers = 3  # charged, but every answer times out
    order = await shop.service().place(body())
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "PAYMENT_UNAVAILABLE")
    assert len(shop.payments.charges) == 1  # the same key never charged twice
    assert shop.payments.net_charged == 0  # and the one charge was given back
    assert order.payment is PaymentState.REFUNDED
    assert await shop.stock() == 1000


@pytest.mark.parametrize("compensation", ["release", "refund"])
async def test_a_compensation_that_fails_briefly_still_cancels(compensation: str) -> None:
    shop = Shop()
    shop.payments.lose_charge_answers = 3
    if compensation == "release":
        shop.inventory.failures["release"] = 2
    else:
        shop.payments.failures["refund"] = 2
    order = await shop.service().place(body())
    assert order.status is OrderStatus.CANCELLED
    assert shop.payments.net_charged == 0
    assert await shop.stock() == 1000


@pytest.mark.parametrize(
    ("compensation", "stock_after"),
    [("release", 996), ("refund", 996)],  # refund runs first; release never got its turn
)
async def test_a_compensation_that_keeps_failing_needs_attention(
    compensation: str, stock_after: int
) -> None:
    shop = Shop()
    shop.payments.lose_charge_answers = 3
    if compensation == "release":
        shop.inventory.failures["release"] = 99
    else:
        shop.payments.failures["refund"] = 99
    order = await shop.service().place(body())
    assert order.status is OrderStatus.NEEDS_ATTENTION
    assert [h.status.value for h in order.history][-2:] == ["COMPENSATING", "NEEDS_ATTENTION"]
    (letter,) = shop.dead_letters.letters
    assert letter[0] == "orders.saga"
    assert order.order_id in letter[1]
    assert await shop.stock() == stock_after
    assert shop.events.published == []  # neither completed nor cancelled


@pytest.mark.parametrize(
    "crash_before",
    [
        OrderStatus.ORDER_PLACED,
        OrderStatus.INVENTORY_UPDATED,
        OrderStatus.PAYMENT_COMPLETED,
        OrderStatus.COMPLETED,
    ],
)
async def test_recovery_finishes_a_saga_a_crash_left_half_done(crash_before: OrderStatus) -> None:
    shop = Shop()
    shop.orders.crash_before = crash_before
    with pytest.raises(OrderStoreUnavailableError):
        await shop.service().place(body())
    (stuck,) = await shop.orders.unfinished(shop.clock.now() + timedelta(seconds=1))
    assert not stuck.status.terminal
    assert await shop.service().recover() == []  # not idle long enough: maybe still running
    shop.clock.advance(timedelta(minutes=2))
    (recovered,) = await shop.service().recover()
    assert recovered.status is OrderStatus.COMPLETED
    assert await shop.stock() == 996  # reserved once, whatever was retried
    assert len(shop.payments.charges) == 1
    assert shop.payments.net_charged == Decimal("13.10")


async def test_recovery_finishes_compensating_a_failed_saga() -> None:
    shop = Shop()
    shop.orders.crash_before = OrderStatus.CANCELLED
    with pytest.raises(OrderStoreUnavailableError):
        await shop.service().place(body(failAtStage="MakePayment"))
    shop.clock.advance(timedelta(minutes=2))
    (recovered,) = await shop.service().recover()
    assert recovered.status is OrderStatus.CANCELLED
    assert await shop.stock() == 1000


async def test_steps_and_compensations_run_twice_count_once() -> None:
    shop = Shop()
    order = await shop.service().place(body(failAtStage="MakePayment"))
    saga = OrderSaga(
        shop.orders, shop.inventory, shop.payments, shop.events, shop.dead_letters, shop.clock
    )
    await shop.inventory.reserve("again", order.lines)
    await shop.inventory.reserve("again", order.lines)  # the same order: reserved once
    assert await shop.stock() == 996
    await saga.release_inventory(order)  # this order's stock was already given back
    await shop.inventory.release("again")
    await shop.inventory.release("again")
    assert await shop.stock() == 1000
