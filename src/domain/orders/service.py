"""Use cases: place an order (idempotently), read orders and stock, recover stuck sagas."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.orders.errors import ItemNotFoundError, OrderNotFoundError
from domain.orders.model import (
    CatalogueItem,
    Order,
    PlaceOrderRequest,
    new_order,
    price_lines,
)
from domain.shared.idempotency import run_once
from ports.orders import Inventory, OrderStore, SagaOrchestrator
from ports.shared import Clock, IdempotencyStore

log = logging.getLogger(__name__)


class OrderService:
    """The order API's use cases."""

    def __init__(
        self,
        orders: OrderStore,
        inventory: Inventory,
        orchestrator: SagaOrchestrator,
        idempotency: IdempotencyStore,
        clock: Clock,
        *,
        fault_injection: bool = False,
        recovery_idle: timedelta = timedelta(seconds=60),
    ) -> None:
        self._orders = orders
        self._inventory = inventory
        self._orchestrator = orchestrator
        self._idempotency = idempotency
        self._clock = clock
        self._fault_injection = fault_injection
        self._recovery_idle = recovery_idle

    async def place(self, request: PlaceOrderRequest) -> Order:
        """Place an order, once per (userId, requestToken).

        Lines not in the catalogue, or with a price other than the catalogue's, are refused
        (InvalidOrderError) before anything is stored. A replay returns the same order,
        whatever its outcome; the same key with another payload raises
        IdempotencyConflictError; a duplicate still running, AlreadyInProgressError.
        """
        fail_at = request.fail_at
        if fail_at is not None and not self._fault_injection:
            log.info("failAtStage=%s ignored: fault injection is off", fail_at.value)
            fail_at = None
        catalogue = await self._inventory.items([line.product_id for line in request.lines])
        lines = price_lines(request, catalogue)

        async def work() -> str:
            order = new_order(request, lines, self._clock.now(), fail_at)
            # An order with this id exists only when an earlier attempt crashed after storing
            # it: the saga resumes it instead of placing a second one.
            stored = await self._orders.add(order)
            await self._orchestrator.start(stored)
            return stored.order_id

        order_id = await run_once(
            self._idempotency, self._clock, request.idempotency_key, request.payload_hash, work
        )
        return await self.order(order_id)

    async def order(self, order_id: str) -> Order:
        order = await self._orders.get(order_id)
        if order is None:
            raise OrderNotFoundError(order_id)
        return order

    async def item(self, item_id: str) -> CatalogueItem:
        found = (await self._inventory.items([item_id])).get(item_id)
        if found is None:
            raise ItemNotFoundError(item_id)
        return found

    async def recover(self, idle_for: timedelta | None = None) -> list[Order]:
        """Resume every saga left non-terminal (by a crash) and idle for at least ``idle_for``
        (by default the configured recovery idle time), so live sagas are left alone."""
        idle = self._recovery_idle if idle_for is None else idle_for
        recovered = []
        for order in await self._orders.unfinished(self._clock.now() - idle):
            log.warning("recovering order %s from %s", order.order_id, order.status.value)
            try:
                recovered.append(await self._orchestrator.start(order))
            except Exception:  # one order that cannot be resumed never holds up the others
                log.exception("recovery of order %s failed; next run retries", order.order_id)
        return recovered
