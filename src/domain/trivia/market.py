"""Wallets and the quiz marketplace: a daily grant of coins, listings of original quizzes,
and purchases that are all or nothing (``MarketService`` in ``domain.trivia.service``).

A purchase debits the buyer (never below zero), credits the seller, removes the listing and
gives the buyer a full playable copy of the quiz, in one atomic step of the ``Marketplace``
port: two buyers of one listing cannot both get it, and a buyer never pays for a copy
without questions (both happened in the reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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


def checked_price(price: Decimal) -> Decimal:
    """A listing's price, if above 0, at most ``MAX_PRICE`` and in whole cents (two places
    on the wire); else InvalidListingError."""
    if not price.is_finite() or not 0 < price <= MAX_PRICE or price != price.quantize(CENTS):
        raise InvalidListingError(
            "The listing is not valid.",
            (FieldError("price", f"coins above 0, at most {coins(MAX_PRICE)}, 2 decimals"),),
        )
    return price.quantize(CENTS)


def checked_request_token(token: str) -> str:
    """A grant's request token (the client's key for retries): 1 to 128 characters, not
    blank; else InvalidGrantError."""
    if not token.strip() or len(token) > MAX_REQUEST_TOKEN:
        raise InvalidGrantError(
            "A grant request needs a requestToken.",
            (FieldError("requestToken", f"required: 1-{MAX_REQUEST_TOKEN} characters"),),
        )
    return token
