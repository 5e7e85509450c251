"""Ports of the stocks context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.stocks.model import Rates, Stock


class StockRepository(Protocol):
    """Where stock values (in the base currency) are kept.

    Raises StockStoreUnavailableError when the store cannot answer.
    """

    async def get(self, stock_id: str) -> Stock | None:
        """The stock with exactly this id (case-sensitive), or None."""
        ...

    async def add(self, stock: Stock) -> None:
        """Store the stock, replacing any stock with the same id."""
        ...


class RatesProvider(Protocol):
    """A source of exchange rates.

    Returns a rate for every symbol asked for, or raises RatesUnavailableError
    (CurrencyNotProvidedError when the answer lacks some of them).
    """

    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates: ...
