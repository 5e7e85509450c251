"""Ports of the orders context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.orders.model import CatalogueItem, Order, OrderLine


class OrderStore(Protocol):
    """Orders and their saga state. Raises OrderStoreUnavailableError when it cannot answer."""

    async def add(self, order: Order) -> Order:
        """Store a new order; when one with its id exists, return that one instead."""
        ...

    async def get(self, order_id: str) -> Order | None: ...

    async def save(self, order: Order) -> Order:
        """Store the order if its ``version`` is still the stored one; return it with the
        next version. Raises StaleOrderError when someone saved in between."""
        ...

    async def unfinished(self, updated_before: datetime) -> list[Order]:
        """Orders in a non-terminal status last updated before the given time."""
        ...


class Inventory(Protocol):
    """Stock and prices. Raises InventoryUnavailableError when it cannot answer."""

    async def items(self, item_ids: Sequence[str]) -> dict[str, CatalogueItem]:
        """The catalogue items that exist among ``item_ids``."""
        ...

    async def add(self, item: CatalogueItem) -> None:
        """Store the item, replacing one with the same id (catalogue loading)."""
        ...

    async def reserve(self, order_id: str, lines: Sequence[OrderLine]) -> bool:
        """Take every line's quantity out of stock, all or none, once per order.

        True when reserved (now or by an earlier call for this order), False when some line
        is out of stock (nothing is taken). Stock never goes below zero.
        """
        ...

    async def release(self, order_id: str) -> None:
        """Put an order's reserved stock back, once; nothing happens if none was reserved."""
        ...


class PaymentGateway(Protocol):
    """Takes and refunds payments; the keys make each call safe to repeat.

    Raises PaymentDeclinedError (a business failure: nothing charged) or
    PaymentUnavailableError (transient: the outcome is unknown).
    """

    async def charge(
        self, order_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> str:
        """Charge and return the charge id; the same key returns the same charge."""
        ...

    async def refund(self, charge_id: str, amount: Decimal, idempotency_key: str) -> str:
        """Refund (part of) a charge and return the refund id; the same key refunds once."""
        ...


class SagaOrchestrator(Protocol):
    """Runs an order's saga: in this process, or handed off (e.g. to Step Functions)."""

    async def start(self, order: Order) -> Order:
        """Start (or resume) the saga; return the order as it then stands (terminal when the
        saga ran here, still PENDING when it was handed off)."""
        ...
