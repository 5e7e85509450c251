"""Orders, their lines and history, the catalogue, and what a request must satisfy."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.orders.errors import InvalidOrderError
from domain.shared.errors import FieldError
from domain.shared.idempotency import digest

CURRENCY = "EUR"
#: A DynamoDB transaction holds at most 100 items: the lines plus the reservation record.
MAX_LINES = 99
MAX_QUANTITY = 1_000_000
MAX_COMMENT = 1000
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_USER = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")
_ITEM = re.compile(r"[A-Za-z0-9._-]{1,64}")
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
    price: Decimal | None


@dataclass(frozen=True, slots=True)
class PlaceOrderRequest:
    """A validated ``POST /orders`` body (prices not yet checked against the catalogue)."""

    request_token: str
    user_id: str
    lines: tuple[RequestedLine, ...]
    comment: str | None = None
    fail_at: Step | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

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


def parse_request(body: Any) -> PlaceOrderRequest:
    """Validate a request body (any JSON value); InvalidOrderError names every bad field."""
    errors: list[FieldError] = []
    if not isinstance(body, Mapping):
        raise InvalidOrderError((FieldError("body", "must be a JSON object"),))

    token = body.get("requestToken")
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        errors.append(FieldError("requestToken", "required: 1-128 of A-Z a-z 0-9 . _ : -"))
    user = body.get("userId")
    if not isinstance(user, str) or not _USER.fullmatch(user):
        errors.append(FieldError("userId", "required: 1-128 of A-Z a-z 0-9 . _ : @ + -"))
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        errors.append(FieldError("comment", f"must be text of at most {MAX_COMMENT} characters"))

    fail_at: Step | None = None
    stage = body.get("failAtStage")
    if stage not in (None, "None", ""):
        try:
            fail_at = Step(stage)
        except ValueError:
            names = ", ".join(s.value for s in Step)
            errors.append(FieldError("failAtStage", f"must be one of None, {names}"))

    lines = _parse_lines(body.get("items"), errors)
    if errors:
        raise InvalidOrderError(tuple(errors))
    assert isinstance(token, str)
    assert isinstance(user, str)
    return PlaceOrderRequest(token, user, lines, comment, fail_at, body)


def _parse_lines(items: Any, errors: list[FieldError]) -> tuple[RequestedLine, ...]:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_LINES:
        errors.append(FieldError("items", f"required: a list of 1 to {MAX_LINES} lines"))
        return ()
    lines: list[RequestedLine] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"items[{i}]"
        if not isinstance(item, Mapping):
            errors.append(FieldError(where, "must be an object"))
            continue
        product = item.get("productId")
        if not isinstance(product, str) or not _ITEM.fullmatch(product):
            errors.append(FieldError(f"{where}.productId", "required: 1-64 of A-Z a-z 0-9 . _ -"))
            continue
        if product in seen:
            errors.append(FieldError(f"{where}.productId", "each product may appear once"))
        seen.add(product)
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int | Decimal):
            errors.append(FieldError(f"{where}.quantity", "required: a whole number"))
            continue
        if quantity != int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            errors.append(FieldError(f"{where}.quantity", f"must be from 1 to {MAX_QUANTITY}"))
            continue
        price = _price(item.get("price"), f"{where}.price", errors)
        lines.append(RequestedLine(product, int(quantity), price))
    return tuple(lines)


def _price(value: Any, where: str, errors: list[FieldError]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.append(FieldError(where, "must be a decimal number or string"))
        return None
    try:
        price = Decimal(value)
    except InvalidOperation:
        errors.append(FieldError(where, "must be a decimal number or string"))
        return None
    if not price.is_finite() or price < 0:
        errors.append(FieldError(where, "must be a non-negative number"))
        return None
    return price


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
