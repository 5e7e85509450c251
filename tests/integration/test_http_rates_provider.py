"""HttpRatesProvider against a real loopback server with switchable faults."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from adapters.http.stocks import HttpRatesProvider
from domain.stocks.errors import CurrencyNotProvidedError, RatesUnavailableError
from tests.support.fake_rates import FakeRatesServer
from tests.support.services import LOOPBACK, free_port

pytestmark = pytest.mark.anyio

TIMEOUT = httpx.Timeout(connect=0.5, read=0.3, write=0.5, pool=0.5)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        yield client


def provider(http: httpx.AsyncClient, url: str) -> HttpRatesProvider:
    return HttpRatesProvider(http, url, retries=2, backoff_base_seconds=0.01)


async def test_rates_are_parsed_as_exact_decimals(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.rates["USD"] = "1.0000000000000000000000001"  # beyond a float's precision
    rates = await provider(http, rates_server.url).get_rates("EUR", ["USD", "CAD"])
    assert rates.rates == {"USD": Decimal("1.0000000000000000000000001"), "CAD": Decimal("1.41")}
    assert rates_server.calls == 1


async def test_slow_provider_times_out_and_is_retried_a_bounded_number_of_times(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.fault, rates_server.delay = "slow", 0.6
    with pytest.raises(RatesUnavailableError):
        await provider(http, rates_server.url).get_rates("EUR", ["USD"])
    assert rates_server.calls == 3  # the first try and two retries


async def test_server_errors_are_retried_until_the_provider_recovers(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.fail_next(2, "error")
    rates = await provider(http, rates_server.url).get_rates("EUR", ["USD"])
    assert rates.rates == {"USD": Decimal("1.31")}
    assert rates_server.calls == 3


async def test_persistent_server_errors_give_up(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.fault = "error"
    with pytest.raises(RatesUnavailableError):
        await provider(http, rates_server.url).get_rates("EUR", ["USD"])
    assert rates_server.calls == 3


@pytest.mark.parametrize("fault", ["malformed", "not_found"])
async def test_malformed_or_refused_answers_fail_without_retry(
    http: httpx.AsyncClient, rates_server: FakeRatesServer, fault: str
) -> None:
    rates_server.fault = fault
    with pytest.raises(RatesUnavailableError) as raised:
        await provider(http, rates_server.url).get_rates("EUR", ["USD"])
    assert rates_server.calls == 1
    assert "Traceback" not in raised.value.detail


async def test_a_missing_rate_is_an_upstream_error_naming_it(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.fault = "missing"  # leaves out the first symbol asked for
    with pytest.raises(CurrencyNotProvidedError) as raised:
        await provider(http, rates_server.url).get_rates("EUR", ["CAD", "USD"])
    assert raised.value.currencies == ("CAD",)


@pytest.mark.parametrize(
    "rate", ["-1.2", "0", '"1.2"', "null", "1e999999", "1e-999999", "NaN", "Infinity"]
)
async def test_rates_that_are_not_positive_numbers_are_rejected(
    http: httpx.AsyncClient, rates_server: FakeRatesServer, rate: str
) -> None:
    rates_server.rates["USD"] = rate
    with pytest.raises(RatesUnavailableError):
        await provider(http, rates_server.url).get_rates("EUR", ["USD"])


async def test_an_answer_for_another_base_is_rejected(
    http: httpx.AsyncClient, rates_server: FakeRatesServer
) -> None:
    rates_server.fault = "wrong_base"
    with pytest.raises(RatesUnavailableError):
        await provider(http, rates_server.url).get_rates("EUR", ["CAD"])
    assert rates_server.calls == 1


async def test_no_server_listening_is_unavailable(http: httpx.AsyncClient) -> None:
    with pytest.raises(RatesUnavailableError):
        await provider(http, f"http://{LOOPBACK}:{free_port()}").get_rates("EUR", ["USD"])
