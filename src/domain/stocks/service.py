"""Use case: a stock's value converted into several currencies."""

from __future__ import annotations

from collections.abc import Sequence

from domain.shared.money import convert, round_to_minor_unit
from domain.stocks.errors import StockNotFoundError
from domain.stocks.model import (
    BASE_CURRENCY,
    StockValuation,
    parse_currencies,
    validate_request,
)
from ports.stocks import RatesProvider, StockRepository


class StockValuationService:
    """Values a stock in its base currency and in the requested (or default) currencies."""

    def __init__(
        self,
        stocks: StockRepository,
        rates: RatesProvider,
        default_currencies: Sequence[str] = ("USD", "CAD", "AUD"),
    ) -> None:
        self._stocks = stocks
        self._rates = rates
        self._default_currencies = parse_currencies(default_currencies)

    async def value_of(
        self, stock_id: str, currencies: Sequence[str] | None = None
    ) -> StockValuation:
        """Raises InvalidStockRequestError (before any I/O), StockNotFoundError,
        RatesUnavailableError or StockStoreUnavailableError."""
        codes = validate_request(
            stock_id, self._default_currencies if currencies is None else currencies
        )
        stock = await self._stocks.get(stock_id)
        if stock is None:
            raise StockNotFoundError(stock_id)

        values = {BASE_CURRENCY: round_to_minor_unit(stock.value, BASE_CURRENCY)}
        targets = tuple(c for c in codes if c != BASE_CURRENCY)
        if not targets:
            return StockValuation(stock_id, BASE_CURRENCY, values, rates_as_of=None, stale=False)

        rates = (await self._rates.get_rates(BASE_CURRENCY, targets)).ensure_covers(targets)
        for code in targets:
            values[code] = convert(stock.value, rates.rates[code], code)
        return StockValuation(stock_id, BASE_CURRENCY, values, rates.as_of, rates.stale)
