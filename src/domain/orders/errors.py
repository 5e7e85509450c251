"""Errors of the orders context."""

from __future__ import annotations

from domain.shared.errors import (
    ConflictError,
    DomainError,
    FieldError,
    InvalidInputError,
    NotFoundError,
    UnavailableError,
)


class OrderNotFoundError(NotFoundError):
    code = "order-not-found"
    title = "Order not found"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"No order has the id {order_id!r}.")


class ItemNotFoundError(NotFoundError):
    code = "item-not-found"
    title = "Inventory item not found"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"No inventory item has the id {item_id!r}.")


class InvalidOrderError(InvalidInputError):
    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


class OrderStoreUnavailableError(UnavailableError):
    code = "order-store-unavailable"
    title = "Order store unavailable"


class InventoryUnavailableError(UnavailableError):
    code = "inventory-unavailable"
    title = "Inventory unavailable"


class PaymentUnavailableError(UnavailableError):
    """The payment provider did not answer usefully (timeout, 5xx): the outcome is unknown."""

    code = "payment-unavailable"
    title = "Payment provider unavailable"


class PaymentDeclinedError(DomainError):
    """The provider refused the charge (a business outcome: nothing was charged)."""

    code = "payment-declined"
    title = "Payment declined"


class StaleOrderError(ConflictError):
    """Someone else saved a newer version of the order (optimistic concurrency)."""

    code = "stale-order"
    title = "Order changed meanwhile"


class OrchestrationUnavailableError(UnavailableError):
    code = "orchestration-unavailable"
    title = "Order workflow unavailable"
