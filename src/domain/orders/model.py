"""Orders, their lines and history, the catalogue, and what a request must satisfy."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from domain.orders.errors import InvalidOrderError
from domain.shared.errors import FieldError
from domain.shared.idempotency import digest

CURRENCY = "EUR"
#: A DynamoDB transaction holds at most 100 items: the lines plus the reservation record.
MAX_LINES = 99
MAX_QUANTITY = 1_000_000
MAX_COMMENT = 1000
#: A client's price (checked against the catalogue's, never trusted) is at most this.
MAX_PRICE = Decimal(1_000_000_000)
TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
USER = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")
ITEM = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Order ids are derived from the idempotency key: a retry of the same request, even after a
# crash lost its idempotency record, finds the same order instead of placing a second one.
_ORDER_IDS = uuid.UUID("5b7f0c1e-2f4a-4d0e-9a51-6f1d3c2b8e70")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    ORDER_PLACED = "ORDER_PLACED"
    INVENTORY_UPDATED = "INVENTORY_UPDATED"
    PAYMENT_COMPLETED = "PAYMENT_COMPLETED"
    COMPLETED = "COMPLETED"
    COMPENSATING = "COMPENSATING"
    CANCELLED = "CANCELLED"
    NEEDS_ATTENTION = "NEEDS_ATTENTION"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.NEEDS_ATTENTION}


class Step(StrEnum):
    PLACE_ORDER = "PlaceOrder"
    UPDATE_INVENTORY = "UpdateInventory"
    MAKE_PAYMENT = "MakePayment"


class PaymentState(StrEnum):
    NONE = "NONE"  # never asked for
    ATTEMPTED = "ATTEMPTED"  # asked; the outcome is not known yet (or was lost to a crash)
    CHARGED = "CHARGED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    item_id: str
    name: str
    in_stock: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    status: OrderStatus
    at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order and its saga state; saved after every step."""

    order_id: str
    user_id: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    history: tuple[HistoryEntry, ...]
    comment: str | None = None
    reason: str | None = None
    failed_step: Step | None = None
    payment: PaymentState = PaymentState.NONE
    charge_id: str | None = None
    #: A step to fail on purpose (failure injection, when enabled).
    fail_at: Step | None = None
    #: Optimistic-concurrency version, bumped by every save.
    version: int = 0

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def updated_at(self) -> datetime:
        return self.history[-1].at

    def moved_to(self, status: OrderStatus, at: datetime, reason: str | None = None) -> Order:
        """The order in ``status``, with the transition recorded in its history."""
        return replace(
            self, status=status, history=(*self.history, HistoryEntry(status, at, reason))
        )

    def failed(self, step: Step, reason: str, at: datetime) -> Order:
        return replace(self, failed_step=step, reason=reason).moved_to(
            OrderStatus.COMPENSATING, at, f"{step.value} failed: {reason}"
        )


@dataclass(frozen=True, slots=True)
class RequestedLine:
    product_id: str
    quantity: int
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrderRequest:
    """A request to place an order (prices not yet checked against the catalogue).

    Built by an entrypoint from its typed input; constructing one checks the invariants
    (InvalidOrderError names every bad field, in the wire's names).
    """

    request_token: str
    user_id: str
    lines: tuple[RequestedLine, ...]
    comment: str | None = None
    fail_at: Step | None = None

    def __post_init__(self) -> None:
        errors = _request_errors(self)
        if errors:
            raise InvalidOrderError(errors)

    @property
    def idempotency_key(self) -> str:
        return digest("orders", self.user_id, self.request_token)

    @property
    def payload_hash(self) -> str:
        lines = [[line.product_id, line.quantity, _text(line.price)] for line in self.lines]
        return digest(lines, self.comment)

    @property
    def order_id(self) -> str:
        return str(uuid.uuid5(_ORDER_IDS, self.idempotency_key))


def _text(price: Decimal | None) -> str | None:
    return None if price is None else format(price.normalize(), "f")


def _request_errors(request: PlaceOrderRequest) -> tuple[FieldError, ...]:
    errors: list[FieldError] = []
    if not TOKEN.fullmatch(request.request_token):
        errors.append(FieldError("requestToken", "required: 1-128 of A-Z a-z 0-9 . _ : -"))
    if not USER.fullmatch(request.user_id):
        errors.append(FieldError("userId", "required: 1-128 of A-Z a-z 0-9 . _ : @ + -"))
    if request.comment is not None and len(request.comment) > MAX_COMMENT:
        errors.append(FieldError("comment", f"must be text of at most {MAX_COMMENT} characters"))
    if not 1 <= len(request.lines) <= MAX_LINES:
        errors.append(FieldError("items", f"required: a list of 1 to {MAX_LINES} lines"))
    seen: set[str] = set()
    for i, line in enumerate(request.lines):
        where = f"items[{i}]"
        if not ITEM.fullmatch(line.product_id):
            errors.append(FieldError(f"{where}.productId", "required: 1-64 of A-Z a-z 0-9 . _ -"))
        elif line.product_id in seen:
            errors.append(FieldError(f"{where}.productId", "each product may appear once"))
        seen.add(line.product_id)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            errors.append(FieldError(f"{where}.quantity", f"must be from 1 to {MAX_QUANTITY}"))
        price = line.price
        if price is not None and (not price.is_finite() or not 0 <= price <= MAX_PRICE):
            errors.append(FieldError(f"{where}.price", f"must be a number from 0 to {MAX_PRICE}"))
    return tuple(errors)


def price_lines(
    request: PlaceOrderRequest, catalogue: Mapping[str, CatalogueItem]
) -> tuple[OrderLine, ...]:
    """Lines at catalogue prices; a client price must equal the catalogue's (never trusted)."""
    errors: list[FieldError] = []
    lines: list[OrderLine] = []
    for i, line in enumerate(request.lines):
        item = catalogue.get(line.product_id)
        if item is None:
            errors.append(FieldError(f"items[{i}].productId", "no such product"))
            continue
        if line.price is not None and line.price != item.price:
            errors.append(
                FieldError(f"items[{i}].price", f"must equal the catalogue price {item.price}")
            )
            continue
        lines.append(OrderLine(line.product_id, line.quantity, item.price))
    if errors:
        raise InvalidOrderError(tuple(errors))
    return tuple(lines)


def new_order(
    request: PlaceOrderRequest, lines: Sequence[OrderLine], at: datetime, fail_at: Step | None
) -> Order:
    return Order(
        order_id=request.order_id,
        user_id=request.user_id,
        lines=tuple(lines),
        status=OrderStatus.PENDING,
        history=(HistoryEntry(OrderStatus.PENDING, at),),
        comment=request.comment,
        fail_at=fail_at,
    )
