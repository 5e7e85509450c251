"""The order saga: PlaceOrder -> UpdateInventory -> MakePayment, with compensations.

Every step and compensation is idempotent (running it twice has the effect of once), and the
order is saved after each, so a saga interrupted anywhere (a crash, a lost Lambda) is resumed
from its saved status by ``advance``: forward while no step has failed, through the
compensations once one has.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from domain.orders.errors import (
    InventoryUnavailableError,
    PaymentDeclinedError,
    PaymentUnavailableError,
)
from domain.orders.model import CURRENCY, Order, OrderStatus, PaymentState, Step
from domain.shared.errors import DomainError, UnavailableError
from domain.shared.events import DomainEvent
from domain.shared.retry import Retry
from ports.orders import Inventory, OrderStore, PaymentGateway
from ports.shared import Clock, DeadLetters, EventPublisher

log = logging.getLogger(__name__)
T = TypeVar("T")

INJECTED = "INJECTED_FAILURE"


class CompensationFailedError(DomainError):
    """A compensation kept failing: the order needs a person."""

    code = "compensation-failed"
    title = "Compensation failed"

    def __init__(self, compensation: str, cause: Exception) -> None:
        super().__init__(f"{compensation} kept failing: {cause}")
        self.compensation = compensation


class OrderSaga:
    """Runs orders through the saga; each public step method is also a Step Functions task."""

    def __init__(
        self,
        orders: OrderStore,
        inventory: Inventory,
        payments: PaymentGateway,
        events: EventPublisher,
        dead_letters: DeadLetters,
        clock: Clock,
        *,
        attempts: int = 4,
        backoff_seconds: float = 0.05,
        backoff_cap_seconds: float = 2.0,
    ) -> None:
        self._orders = orders
        self._inventory = inventory
        self._payments = payments
        self._events = events
        self._dead_letters = dead_letters
        self._clock = clock
        self._policy = Retry(attempts, backoff_seconds, backoff_cap_seconds)
        #: Run by Step Functions: the state machine owns the retries (see ``as_task``).
        self._task = False

    def as_task(self) -> OrderSaga:
        """This saga for steps run as Step Functions tasks: each step calls once, and a
        transient failure is raised for the state machine's ``Retry`` (and then its ``Catch``
        and FailOrder) to handle, so that retries have one owner, never nested loops."""
        task = copy.copy(self)
        task._task = True
        return task

    async def run(self, order: Order) -> Order:
        """Advance the order until it reaches a terminal status."""
        while not order.status.terminal:
            order = await self.advance(order)
        return order

    async def advance(self, order: Order) -> Order:
        """Take the one next step the order's status calls for."""
        step = {
            OrderStatus.PENDING: self.place_order,
            OrderStatus.ORDER_PLACED: self.update_inventory,
            OrderStatus.INVENTORY_UPDATED: self.make_payment,
            OrderStatus.PAYMENT_COMPLETED: self.complete,
            OrderStatus.COMPENSATING: self.compensate,
        }.get(order.status)
        return order if step is None else await step(order)

    # -- forward steps ---------------------------------------------------------------------

    async def place_order(self, order: Order) -> Order:
        if order.fail_at is Step.PLACE_ORDER:
            return await self._fail(order, Step.PLACE_ORDER, INJECTED)
        return await self._save(order.moved_to(OrderStatus.ORDER_PLACED, self._clock.now()))

    async def update_inventory(self, order: Order) -> Order:
        if order.fail_at is Step.UPDATE_INVENTORY:
            return await self._fail(order, Step.UPDATE_INVENTORY, INJECTED)
        try:
            reserved = await self._retry(
                lambda: self._inventory.reserve(order.order_id, order.lines)
            )
        except InventoryUnavailableError:
            if self._task:
                raise
            return await self._fail(order, Step.UPDATE_INVENTORY, "INVENTORY_UNAVAILABLE")
        if not reserved:
            return await self._fail(order, Step.UPDATE_INVENTORY, "OUT_OF_STOCK")
        return await self._save(order.moved_to(OrderStatus.INVENTORY_UPDATED, self._clock.now()))

    async def make_payment(self, order: Order) -> Order:
        if order.fail_at is Step.MAKE_PAYMENT:
            return await self._fail(order, Step.MAKE_PAYMENT, INJECTED)
        # Saved before the call: if the process dies now, recovery knows money may have moved.
        order = await self._save(replace(order, payment=PaymentState.ATTEMPTED))
        try:
            charge_id = await self._retry(lambda: self._charge(order))
        except PaymentDeclinedError:
            order = replace(order, payment=PaymentState.DECLINED)
            return await self._fail(order, Step.MAKE_PAYMENT, "PAYMENT_DECLINED")
        except PaymentUnavailableError:
            if self._task:
                raise
            return await self._fail(order, Step.MAKE_PAYMENT, "PAYMENT_UNAVAILABLE")
        charged = replace(order, payment=PaymentState.CHARGED, charge_id=charge_id)
        return await self._save(charged.moved_to(OrderStatus.PAYMENT_COMPLETED, self._clock.now()))

    async def complete(self, order: Order) -> Order:
        # Published before the terminal save: a crash in between re-publishes the same event
        # (same id) on recovery, never loses it.
        await self._events.publish(_event(order, "OrderCompleted"))
        return await self._save(order.moved_to(OrderStatus.COMPLETED, self._clock.now()))

    # -- compensations ---------------------------------------------------------------------

    async def compensate(self, order: Order) -> Order:
        """Refund, release the stock, cancel (never delete) the order."""
        try:
            order = await self.refund_payment(order)
            order = await self.release_inventory(order)
        except CompensationFailedError as exc:
            return await self.needs_attention(order, exc.compensation, str(exc.__cause__))
        return await self.cancel_order(order)

    async def fail_order(self, order: Order, step: Step, reason: str) -> Order:
        """Record a step's failure and start compensating (once: an order already
        compensating or finished is left as it is)."""
        if order.status is OrderStatus.COMPENSATING or order.status.terminal:
            return order
        return await self._fail(order, step, reason)

    async def cancel_order(self, order: Order) -> Order:
        """The last compensation: the order is cancelled, never deleted."""
        if order.status is OrderStatus.CANCELLED:
            return order
        await self._events.publish(_event(order, "OrderCancelled"))
        return await self._save(
            order.moved_to(OrderStatus.CANCELLED, self._clock.now(), order.reason)
        )

    async def refund_payment(self, order: Order) -> Order:
        if order.payment not in (PaymentState.CHARGED, PaymentState.ATTEMPTED):
            return order  # nothing was taken: nothing to give back

        async def refund() -> Order:
            charge_id = order.charge_id
            if charge_id is None:
                # The charge's outcome was lost: asking again with the same key replays it.
                try:
                    charge_id = await self._charge(order)
                except PaymentDeclinedError:
                    return replace(order, payment=PaymentState.DECLINED)
            await self._payments.refund(charge_id, order.total, f"{order.order_id}:refund")
            return replace(order, payment=PaymentState.REFUNDED, charge_id=charge_id)

        try:
            refunded = await self._retry(refund)
        except UnavailableError as exc:
            raise CompensationFailedError("RefundPayment", exc) from exc
        return await self._save(refunded)

    async def release_inventory(self, order: Order) -> Order:
        try:
            await self._retry(lambda: self._inventory.release(order.order_id))
        except UnavailableError as exc:
            raise CompensationFailedError("ReleaseInventory", exc) from exc
        return order

    # -- helpers -----------------------------------------------------------------------------

    async def _charge(self, order: Order) -> str:
        key = f"{order.order_id}:charge"
        return await self._payments.charge(order.order_id, order.total, CURRENCY, key)

    async def _fail(self, order: Order, step: Step, reason: str) -> Order:
        log.info("order %s: %s failed (%s); compensating", order.order_id, step.value, reason)
        return await self._save(order.failed(step, reason, self._clock.now()))

    async def needs_attention(self, order: Order, compensation: str, cause: str) -> Order:
        """A compensation kept failing: park the order for a person, with a dead letter."""
        if order.status.terminal:
            return order
        reason = f"{compensation} kept failing: {cause}"
        payload = {
            "orderId": order.order_id,
            "failedStep": order.failed_step.value if order.failed_step else None,
            "reason": order.reason,
            "compensation": compensation,
        }
        await self._dead_letters.send("orders.saga", json.dumps(payload), reason)
        log.error("order %s needs attention: %s", order.order_id, reason)
        return await self._save(
            order.moved_to(OrderStatus.NEEDS_ATTENTION, self._clock.now(), reason)
        )

    async def _save(self, order: Order) -> Order:
        return await self._orders.save(order)

    async def _retry(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry transient failures (UnavailableError) with exponential backoff and full jitter
        (once only as a task: the state machine retries)."""
        if self._task:
            return await call()
        return await self._policy.call(call)


def _event(order: Order, name: str) -> DomainEvent:
    payload = {
        "orderId": order.order_id,
        "userId": order.user_id,
        "total": format(order.total, "f"),
        "currency": CURRENCY,
        "status": order.status.value,
        "reason": order.reason,
        "items": [{"productId": x.product_id, "quantity": x.quantity} for x in order.lines],
    }
    return DomainEvent(f"{order.order_id}:{name}", name, payload)


class InProcessOrchestrator:
    """SagaOrchestrator running the saga in this process, to a terminal status."""

    def __init__(self, saga: OrderSaga) -> None:
        self._saga = saga

    async def start(self, order: Order) -> Order:
        return await self._saga.run(order)
