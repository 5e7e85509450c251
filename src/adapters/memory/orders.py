"""In-memory orders adapters and the demo catalogue of the embedded default."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.orders.errors import PaymentDeclinedError, StaleOrderError
from domain.orders.model import CatalogueItem, Order, OrderLine

DEMO_CATALOGUE: tuple[CatalogueItem, ...] = (
    CatalogueItem("ITEM001", "Soap", 1000, Decimal("2.50")),
    CatalogueItem("ITEM002", "Shampoo", 500, Decimal("4.20")),
    CatalogueItem("ITEM003", "Toothpaste", 2000, Decimal("3.10")),
)


class InMemoryOrderStore:
    """OrderStore in a dict, with the same optimistic versioning as the real stores."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._lock = threading.Lock()

    async def add(self, order: Order) -> Order:
        with self._lock:
            return self._orders.setdefault(order.order_id, replace(order, version=1))

    async def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    async def save(self, order: Order) -> Order:
        with self._lock:
            stored = self._orders.get(order.order_id)
            if stored is None or stored.version != order.version:
                raise StaleOrderError(order.order_id)
            saved = replace(order, version=order.version + 1)
            self._orders[order.order_id] = saved
            return saved

    async def unfinished(self, updated_before: datetime) -> list[Order]:
        return [
            o for o in list(self._orders.values())
            if not o.status.terminal and o.updated_at < updated_before
        ]  # fmt: skip


class InMemoryInventory:
    """Inventory in a dict: reservations per order make reserve and release run once."""

    def __init__(self, items: Sequence[CatalogueItem] = ()) -> None:
        self._items = {item.item_id: item for item in items}
        self._reserved: dict[str, tuple[OrderLine, ...] | None] = {}  # None once released
        self._lock = threading.Lock()

    async def items(self, item_ids: Sequence[str]) -> dict[str, CatalogueItem]:
        return {i: self._items[i] for i in item_ids if i in self._items}

    async def add(self, item: CatalogueItem) -> None:
        with self._lock:
            self._items[item.item_id] = item

    async def reserve(self, order_id: str, lines: Sequence[OrderLine]) -> bool:
        with self._lock:
            if order_id in self._reserved:
                return True
            for line in lines:
                item = self._items.get(line.product_id)
                if item is None or item.in_stock < line.quantity:
                    return False
            for line in lines:
                item = self._items[line.product_id]
                self._items[line.product_id] = replace(item, in_stock=item.in_stock - line.quantity)
            self._reserved[order_id] = tuple(lines)
            return True

    async def release(self, order_id: str) -> None:
        with self._lock:
            lines = self._reserved.get(order_id)
            if lines is None:
                return  # never reserved, or already released
            for line in lines:
                item = self._items[line.product_id]
                self._items[line.product_id] = replace(item, in_stock=item.in_stock + line.quantity)
            self._reserved[order_id] = None


class InMemoryPaymentGateway:
    """PaymentGateway keeping charges in memory; declines charges above ``decline_over``."""

    def __init__(self, decline_over: Decimal | None = None) -> None:
        self._decline_over = decline_over
        self.charges: dict[str, tuple[str, Decimal]] = {}  # idempotency key -> (id, amount)
        self.refunds: dict[str, tuple[str, Decimal]] = {}
        self._lock = threading.Lock()

    @property
    def net_charged(self) -> Decimal:
        """Money taken and not given back."""
        taken = sum((amount for _, amount in self.charges.values()), Decimal(0))
        returned = sum((amount for _, amount in self.refunds.values()), Decimal(0))
        return taken - returned

    async def charge(
        self, order_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> str:
        with self._lock:
            if idempotency_key in self.charges:
                return self.charges[idempotency_key][0]
            if self._decline_over is not None and amount > self._decline_over:
                raise PaymentDeclinedError("card_declined")
            charge_id = f"ch_{uuid.uuid4().hex[:16]}"
            self.charges[idempotency_key] = (charge_id, amount)
            return charge_id

    async def refund(self, charge_id: str, amount: Decimal, idempotency_key: str) -> str:
        with self._lock:
            if idempotency_key not in self.refunds:
                self.refunds[idempotency_key] = (f"re_{uuid.uuid4().hex[:16]}", amount)
            return self.refunds[idempotency_key][0]
