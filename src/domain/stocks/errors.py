"""Errors of the stocks context."""

from __future__ import annotations

from domain.shared.errors import FieldError, InvalidInputError, NotFoundError, UnavailableError


class StockNotFoundError(NotFoundError):
    code = "stock-not-found"
    title = "Stock not found"

    def __init__(self, stock_id: str) -> None:
        super().__init__(f"No stock has the id {stock_id!r}.")
        self.stock_id = stock_id


class InvalidStockRequestError(InvalidInputError):
    """The stock id or the currency list is malformed; raised before any I/O."""

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


class RatesUnavailableError(UnavailableError):
    """No exchange rates can be had from the provider (down, slow, or answering nonsense)."""

    code = "rates-unavailable"
    title = "Exchange rates unavailable"


class CurrencyNotProvidedError(RatesUnavailableError):
    """The provider answered but left out currencies that were asked for."""

    code = "currency-not-provided"
    title = "Currency not provided by the rates provider"

    def __init__(self, currencies: tuple[str, ...]) -> None:
        names = ", ".join(currencies)
        super().__init__(f"The exchange-rate provider returned no rate for {names}.")
        self.currencies = currencies


class StockStoreUnavailableError(UnavailableError):
    code = "stock-store-unavailable"
    title = "Stock store unavailable"
