"""Stocks, exchange rates and a stock's value in several currencies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.shared.errors import FieldError
from domain.shared.money import is_currency
from domain.stocks.errors import CurrencyNotProvidedError, InvalidStockRequestError

#: Stored stock values are in this currency; rates are asked for with it as the base.
BASE_CURRENCY = "EUR"
MAX_CURRENCIES = 32
STOCK_ID = re.compile(r"[A-Za-z0-9._-]{1,16}")


@dataclass(frozen=True, slots=True)
class Stock:
    """A stock and its value in the base currency."""

    stock_id: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class Rates:
    """Exchange rates from ``base`` to each currency in ``rates``, as of a date or time."""

    base: str
    rates: Mapping[str, Decimal]
    as_of: str
    #: True when served from a last-known-good copy because the provider failed.
    stale: bool = False

    def ensure_covers(self, symbols: Iterable[str]) -> Rates:
        """Return self, or raise naming every requested currency the rates lack."""
        missing = tuple(s for s in symbols if s not in self.rates)
        if missing:
            raise CurrencyNotProvidedError(missing)
        return self


@dataclass(frozen=True, slots=True)
class StockValuation:
    """A stock's value in the base currency and in each requested currency."""

    stock_id: str
    base: str
    values: Mapping[str, Decimal]
    rates_as_of: str | None
    stale: bool


def validate_request(stock_id: str, currencies: Sequence[str]) -> tuple[str, ...]:
    """Check the id and currency codes; return the codes upper-cased, deduplicated, in order.

    Raises InvalidStockRequestError naming every bad field.
    """
    errors: list[FieldError] = []
    if not STOCK_ID.fullmatch(stock_id):
        errors.append(FieldError("stock_id", "must be 1-16 characters of A-Z a-z 0-9 . _ -"))
    codes, currency_error = _parse_currencies(currencies)
    if currency_error is not None:
        errors.append(currency_error)
    if errors:
        raise InvalidStockRequestError(tuple(errors))
    return codes


def parse_currencies(currencies: Sequence[str]) -> tuple[str, ...]:
    """The codes upper-cased and deduplicated, in order; InvalidStockRequestError if invalid."""
    codes, error = _parse_currencies(currencies)
    if error is not None:
        raise InvalidStockRequestError((error,))
    return codes


def _parse_currencies(currencies: Sequence[str]) -> tuple[tuple[str, ...], FieldError | None]:
    if len(currencies) > MAX_CURRENCIES:  # counted as given: a long list costs, repeats or not
        return (), FieldError("currencies", f"must name at most {MAX_CURRENCIES} currencies")
    codes = tuple(dict.fromkeys(c.strip().upper() for c in currencies))
    if not codes or "" in codes:
        return codes, FieldError("currencies", "must be a comma-separated list of codes")
    unknown = [c for c in codes if not is_currency(c)]
    if unknown:
        names = ", ".join(repr(c) for c in unknown)
        return codes, FieldError("currencies", f"not active ISO 4217 currencies: {names}")
    return codes, None
