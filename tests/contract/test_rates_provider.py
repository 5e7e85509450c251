"""RatesProvider contract, run against every adapter of the port (and the cache over each)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from adapters.memory.stocks import FixedRatesProvider
from domain.stocks.errors import CurrencyNotProvidedError
from ports.stocks import RatesProvider
from tests.support.fake_rates import DEFAULT_RATES, FakeRatesServer

pytestmark = pytest.mark.anyio

ADAPTERS = ["fixed", "http", "redis+fixed", "redis+http"]


@pytest.fixture(params=ADAPTERS)
async def provider(
    request: pytest.FixtureRequest, rates_server: FakeRatesServer
) -> AsyncIterator[RatesProvider]:
    name: str = request.param
    async with httpx.AsyncClient(timeout=2) as http:
        inner: RatesProvider
        if name.endswith("fixed"):
            inner = FixedRatesProvider(
                {k: Decimal(v) for k, v in DEFAULT_RATES.items()}, as_of=rates_server.date
            )
        else:
            from adapters.http.stocks import HttpRatesProvider

            inner = HttpRatesProvider(http, rates_server.url)
        if not name.startswith("redis"):
            yield inner
            return
        from redis.asyncio import Redis

        from adapters.redis.stocks import RedisCachedRatesProvider

        redis = Redis.from_url(request.getfixturevalue("redis_url"))
        try:
            yield RedisCachedRatesProvider(inner, redis)
        finally:
            await redis.aclose()


async def test_returns_exact_rates_for_every_symbol(provider: RatesProvider) -> None:
    rates = await provider.get_rates("EUR", ["USD", "KWD"])
    assert rates.base == "EUR"
    assert dict(rates.rates) == {"USD": Decimal("1.31"), "KWD": Decimal("0.3312")}
    assert rates.as_of == "2026-11-20"
    assert rates.stale is False


async def test_answers_again_the_same(provider: RatesProvider) -> None:
    first = await provider.get_rates("EUR", ["CAD", "AUD"])
    second = await provider.get_rates("EUR", ["AUD", "CAD"])
    assert (
        dict(first.rates)
        == dict(second.rates)
        == {
            "CAD": Decimal("1.41"),
            "AUD": Decimal("1.51"),
        }
    )


async def test_a_symbol_it_cannot_provide_is_an_error_naming_it(provider: RatesProvider) -> None:
    with pytest.raises(CurrencyNotProvidedError) as raised:
        await provider.get_rates("EUR", ["USD", "GBP"])
    assert raised.value.currencies == ("GBP",)
