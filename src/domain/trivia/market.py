"""Wallets and the quiz marketplace: a daily grant of coins, listings of original quizzes,
and purchases that are all or nothing (``MarketService`` in ``domain.trivia.service``).

A purchase debits the buyer (never below zero), credits the seller, removes the listing and
gives the buyer a full playable copy of the quiz, in one atomic step of the ``Marketplace``
port: two buyers of one listing cannot both get it, and a buyer never pays for a copy
without questions (both happened in the reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.shared.errors import FieldError
from domain.trivia.errors import InvalidGrantError, InvalidListingError

GRANT = Decimal("200.00")
MAX_PRICE = Decimal("100000.00")
CENTS = Decimal("0.01")
MAX_REQUEST_TOKEN = 128


def coins(amount: Decimal) -> str:
    """An amount on the wire: a string with two decimals (``"200.00"``)."""
    return format(amount.quantize(CENTS), "f")


@dataclass(frozen=True, slots=True)
class Listing:
    """An original quiz for sale once, with what a buyer sees of it before buying."""

    listing_id: str
    quiz_id: str
    seller: str
    price: Decimal
    name: str
    category: str
    question_count: int
    listed_at: int  # epoch ms

    @property
    def position(self) -> tuple[int, str]:
        """Where it stands in the marketplace, read newest first (the id breaks ties)."""
        return (self.listed_at, self.listing_id)


@dataclass(frozen=True, slots=True)
class Grant:
    """A daily grant: the UTC day it belongs to, what it added, the balance after it."""

    day: str
    amount: Decimal
    balance: Decimal


def parse_listing(raw: object) -> tuple[str, Decimal]:
    """``{"quizId", "price"}``: the quiz and its price (> 0, at most 2 decimals, given as a
    string or a number); InvalidListingError names each bad field."""
    if not isinstance(raw, Mapping):
        raise InvalidListingError(
            "A listing must be a JSON object.", (FieldError("body", "object"),)
        )
    errors: list[FieldError] = []
    quiz_id = raw.get("quizId")
    if not isinstance(quiz_id, str) or not quiz_id.strip():
        errors.append(FieldError("quizId", "required: the id of one of your quizzes"))
    price = _price(raw.get("price"))
    if price is None:
        errors.append(
            FieldError(
                "price", f"a number of coins above 0, at most {coins(MAX_PRICE)}, 2 decimals"
            )
        )
    if errors or price is None or not isinstance(quiz_id, str):
        raise InvalidListingError("The listing is not valid.", tuple(errors))
    return quiz_id.strip(), price


def _price(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        # A float through its shortest repr: 12.3 is 12.3, not 12.2999999999999989...
        price = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    if not price.is_finite() or price <= 0 or price > MAX_PRICE or price != price.quantize(CENTS):
        return None
    return price.quantize(CENTS)


def parse_grant(raw: object) -> str:
    """``{"requestToken"}``: the client's key for this grant request (retries reuse it)."""
    token = raw.get("requestToken") if isinstance(raw, Mapping) else None
    if not isinstance(token, str) or not token.strip() or len(token) > MAX_REQUEST_TOKEN:
        raise InvalidGrantError(
            "A grant request needs a requestToken.",
            (FieldError("requestToken", f"required: 1-{MAX_REQUEST_TOKEN} characters"),),
        )
    return token
