"""In-memory stocks adapters and the demo data of the embedded default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from domain.stocks.model import Rates, Stock

DEMO_STOCKS: tuple[Stock, ...] = (
    Stock("AMZN", Decimal("172.35")),
    Stock("AAPL", Decimal("208.40")),
    Stock("MSFT", Decimal("389.12")),
    Stock("GOOGL", Decimal("161.07")),
)

#: EUR-based demo rates: the currencies the ECB (and so Frankfurter) publishes, plus KWD to
#: show a currency with three decimals.
DEMO_RATES: Mapping[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in (
        ("USD", "1.0823"), ("JPY", "163.41"), ("GBP", "0.8532"), ("CHF", "0.9587"),
        ("CAD", "1.4712"), ("AUD", "1.6318"), ("NZD", "1.7924"), ("SEK", "11.472"),
        ("NOK", "11.689"), ("DKK", "7.4601"), ("PLN", "4.3150"), ("CZK", "25.184"),
        ("HUF", "395.10"), ("RON", "4.9767"), ("ISK", "150.30"), ("TRY", "37.211"),
        ("CNY", "7.8345"), ("HKD", "8.4571"), ("SGD", "1.4563"), ("KRW", "1498.62"),
        ("INR", "92.483"), ("IDR", "17596.44"), ("MYR", "4.7621"), ("PHP", "62.117"),
        ("THB", "37.254"), ("ILS", "3.9846"), ("MXN", "21.7435"), ("BRL", "6.2480"),
        ("ZAR", "19.8172"), ("KWD", "0.3312"),
    )
}  # fmt: skip
DEMO_RATES_AS_OF = "2026-11-20"


class InMemoryStockRepository:
    """StockRepository kept in a dict; the embedded default and the unit-test fake."""

    def __init__(self, stocks: Iterable[Stock] = ()) -> None:
        self._stocks = {s.stock_id: s for s in stocks}

    async def get(self, stock_id: str) -> Stock | None:
        return self._stocks.get(stock_id)

    async def add(self, stock: Stock) -> None:
        self._stocks[stock.stock_id] = stock


class FixedRatesProvider:
    """RatesProvider answering from a fixed table of rates for one base currency."""

    def __init__(
        self, rates: Mapping[str, Decimal], base: str = "EUR", as_of: str = DEMO_RATES_AS_OF
    ) -> None:
        self._rates = dict(rates)
        self._base = base
        self._as_of = as_of

    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        table = self._rates if base == self._base else {}
        found = {s: table[s] for s in symbols if s in table}
        return Rates(base, found, self._as_of).ensure_covers(symbols)
