"""The stock valuation use case on in-memory adapters."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from adapters.memory.stocks import FixedRatesProvider, InMemoryStockRepository
from domain.shared.money import is_currency, round_to_minor_unit
from domain.stocks.errors import (
    CurrencyNotProvidedError,
    InvalidStockRequestError,
    RatesUnavailableError,
    StockNotFoundError,
    StockStoreUnavailableError,
)
from domain.stocks.model import Rates, Stock
from domain.stocks.service import StockValuationService
from ports.stocks import RatesProvider

pytestmark = pytest.mark.anyio

RATES = {"USD": Decimal("1.31"), "CAD": Decimal("1.41"), "AUD": Decimal("1.51")}


class DownStockRepository:
    """A store that cannot answer: proves validation happens before any I/O."""

    async def get(self, stock_id: str) -> Stock | None:
        raise StockStoreUnavailableError("down")

    async def add(self, stock: Stock) -> None:
        raise StockStoreUnavailableError("down")


class DownRatesProvider:
    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        raise RatesUnavailableError("provider down")


class StaleRatesProvider:
    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        return Rates(base, RATES, "2026-11-19", stale=True)


def service(
    *stocks: Stock,
    rates: RatesProvider | None = None,
    currencies: Sequence[str] = ("USD", "CAD", "AUD"),
) -> StockValuationService:
    provider = FixedRatesProvider(RATES) if rates is None else rates
    return StockValuationService(InMemoryStockRepository(stocks), provider, currencies)


def as_text(values: dict[str, Decimal]) -> dict[str, str]:
    return {code: format(v, "f") for code, v in values.items()}


async def test_converts_with_exact_half_up_rounding() -> None:
    valuation = await service(Stock("1", Decimal("3"))).value_of("1")
    assert as_text(dict(valuation.values)) == {
        "EUR": "3.00",
        "USD": "3.93",
        "CAD": "4.23",
        "AUD": "4.53",
    }
    assert valuation.base == "EUR"
    assert valuation.rates_as_of == "2026-11-20"
    assert valuation.stale is False


async def test_half_up_on_an_exact_tie_that_float_would_round_down() -> None:
    # 2.5 x 1.41 = 3.525 exactly; as floats it is 3.5249999... and would round to 3.52.
    valuation = await service(Stock("X", Decimal("2.5"))).value_of("X", ["CAD"])
    assert as_text(dict(valuation.values)) == {"EUR": "2.50", "CAD": "3.53"}


async def test_rounds_to_each_currency_minor_unit() -> None:
    rates = FixedRatesProvider({"JPY": Decimal("163.41"), "KWD": Decimal("0.3312")})
    valuation = await service(Stock("AMZN", Decimal("172.35")), rates=rates).value_of(
        "AMZN", ["JPY", "KWD"]
    )
    # 172.35 x 163.41 = 28163.7135 -> 28164; 172.35 x 0.3312 = 57.08232 -> 57.082
    assert as_text(dict(valuation.values)) == {"EUR": "172.35", "JPY": "28164", "KWD": "57.082"}


async def test_currencies_are_upper_cased_deduplicated_and_ordered() -> None:
    valuation = await service(Stock("A", Decimal("1"))).value_of("A", ["aud", "USD", "usd", " cad"])
    assert list(valuation.values) == ["EUR", "AUD", "USD", "CAD"]


async def test_base_only_needs_no_rates() -> None:
    valuation = await service(Stock("A", Decimal("10")), rates=DownRatesProvider()).value_of(
        "A", ["EUR"]
    )
    assert as_text(dict(valuation.values)) == {"EUR": "10.00"}
    assert valuation.rates_as_of is None


async def test_unknown_stock_is_not_found() -> None:
    with pytest.raises(StockNotFoundError):
        await service(Stock("AMZN", Decimal("1"))).value_of("amzn")  # ids are case-sensitive


@pytest.mark.parametrize(
    ("stock_id", "currencies", "field"),
    [
        ("", None, "stock_id"),
        ("A" * 17, None, "stock_id"),
        ("AM ZN", None, "stock_id"),
        ("AMZN/1", None, "stock_id"),
        ("AMZN", ["XXX"], "currencies"),
        ("AMZN", ["XTS"], "currencies"),
        ("AMZN", ["XAU"], "currencies"),
        ("AMZN", ["US"], "currencies"),
        ("AMZN", [""], "currencies"),
        ("AMZN", ["USD", ""], "currencies"),
        ("AMZN", [], "currencies"),
    ],
)
async def test_invalid_requests_fail_before_any_io(
    stock_id: str, currencies: list[str] | None, field: str
) -> None:
    svc = StockValuationService(DownStockRepository(), DownRatesProvider())
    with pytest.raises(InvalidStockRequestError) as raised:
        await svc.value_of(stock_id, currencies)
    assert [e.field for e in raised.value.errors] == [field]


async def test_at_most_32_currencies() -> None:
    codes = sorted(
        c
        for c in [
            "USD",
            "CAD",
            "AUD",
            "JPY",
            "GBP",
            "CHF",
            "NZD",
            "SEK",
            "NOK",
            "DKK",
            "PLN",
            "CZK",
            "HUF",
            "RON",
            "ISK",
            "TRY",
            "CNY",
            "HKD",
            "SGD",
            "KRW",
            "INR",
            "IDR",
            "MYR",
            "PHP",
            "THB",
            "ILS",
            "MXN",
            "BRL",
            "ZAR",
            "KWD",
            "BHD",
            "OMR",
            "JOD",
        ]
    )
    assert len(codes) == 33
    assert all(is_currency(c) for c in codes)
    with pytest.raises(InvalidStockRequestError):
        await service(Stock("A", Decimal("1"))).value_of("A", codes)
    await service(
        Stock("A", Decimal("1")), rates=FixedRatesProvider(dict.fromkeys(codes, Decimal(1)))
    ).value_of("A", codes[:32])


async def test_a_currency_the_provider_lacks_is_an_upstream_gap() -> None:
    with pytest.raises(CurrencyNotProvidedError) as raised:
        await service(Stock("A", Decimal("1"))).value_of("A", ["USD", "GBP", "CHF"])
    assert raised.value.currencies == ("GBP", "CHF")
    assert "GBP, CHF" in raised.value.detail


async def test_provider_outage_is_reported_not_hidden() -> None:
    with pytest.raises(RatesUnavailableError):
        await service(Stock("A", Decimal("1")), rates=DownRatesProvider()).value_of("A")


async def test_stale_rates_are_flagged() -> None:
    valuation = await service(Stock("A", Decimal("1")), rates=StaleRatesProvider()).value_of("A")
    assert valuation.stale is True
    assert valuation.rates_as_of == "2026-11-19"


def test_default_currencies_are_validated_at_construction() -> None:
    with pytest.raises(InvalidStockRequestError):
        service(currencies=["USD", "XXX"])


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("3.525", "USD", "3.53"),
        ("3.5249", "USD", "3.52"),
        ("-3.525", "USD", "-3.53"),
        ("380.5", "JPY", "381"),
        ("1.0005", "KWD", "1.001"),
        ("1.00005", "CLF", "1.0001"),
        ("7", "BHD", "7.000"),
    ],
)
def test_round_half_up_to_minor_unit(amount: str, currency: str, expected: str) -> None:
    assert format(round_to_minor_unit(Decimal(amount), currency), "f") == expected


def test_codes_that_are_not_money_are_not_currencies() -> None:
    for code in ("XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "usd", "EURO"):
        assert not is_currency(code), code
    for code in ("EUR", "USD", "JPY", "KWD", "BHD", "XAF", "XOF", "XPF", "XCD"):
        assert is_currency(code), code
