"""RedisCachedRatesProvider on a real redis-server, over a real HTTP provider."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import httpx
import pytest
from redis.asyncio import Redis

from adapters.http.stocks import HttpRatesProvider
from adapters.redis.stocks import RedisCachedRatesProvider
from domain.stocks.errors import RatesUnavailableError
from tests.support.fake_rates import FakeRatesServer
from tests.support.services import LOOPBACK, free_port, start_redis

pytestmark = pytest.mark.anyio

Factory = Callable[..., RedisCachedRatesProvider]


@pytest.fixture
async def make_cache(redis_url: str, rates_server: FakeRatesServer) -> AsyncIterator[Factory]:
    """Builds caches that each have their own Redis connection pool, as separate processes do.

    The in-process layer is off unless a test turns it on: these tests are about Redis.
    """
    clients: list[Redis] = []
    async with httpx.AsyncClient(timeout=2) as http:
        inner = HttpRatesProvider(http, rates_server.url, retries=0)

        def make(url: str = redis_url, **options: float) -> RedisCachedRatesProvider:
            client = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            clients.append(client)
            options.setdefault("local_ttl_seconds", 0)
            return RedisCachedRatesProvider(inner, client, **options)  # type: ignore[arg-type]

        yield make
        for client in clients:
            await client.aclose()


async def test_a_hit_does_not_reach_the_provider(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache()
    first = await cache.get_rates("EUR", ["USD", "CAD"])
    second = await cache.get_rates("EUR", ["CAD", "USD"])  # same set, other order
    assert first.rates == second.rates == {"USD": Decimal("1.31"), "CAD": Decimal("1.41")}
    assert second.stale is False
    assert rates_server.calls == 1


async def test_one_entry_per_base_and_symbol_set(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache()
    await cache.get_rates("EUR", ["USD"])
    usd_jpy = await cache.get_rates("EUR", ["USD", "JPY"])
    assert usd_jpy.rates == {"USD": Decimal("1.31"), "JPY": Decimal("163.41")}
    assert rates_server.calls == 2


async def test_entries_expire_after_the_ttl(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache(ttl_seconds=1)
    await cache.get_rates("EUR", ["USD"])
    rates_server.rates["USD"] = "1.32"
    assert (await cache.get_rates("EUR", ["USD"])).rates["USD"] == Decimal("1.31")
    await asyncio.sleep(1.1)
    assert (await cache.get_rates("EUR", ["USD"])).rates["USD"] == Decimal("1.32")
    assert rates_server.calls == 2


async def test_concurrent_misses_across_clients_make_one_provider_call(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    rates_server.delay = 0.2  # the refresh takes a while, so everyone piles up behind it
    caches = [make_cache() for _ in range(4)]  # four independent connection pools
    results = await asyncio.gather(
        *(caches[i % 4].get_rates("EUR", ["USD", "AUD"]) for i in range(200))
    )
    assert rates_server.calls == 1
    assert {r.rates["AUD"] for r in results} == {Decimal("1.51")}


async def test_provider_failure_serves_the_last_known_good_copy_as_stale(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache(ttl_seconds=1)
    await cache.get_rates("EUR", ["USD"])
    await asyncio.sleep(1.1)
    rates_server.fault = "error"
    stale = await cache.get_rates("EUR", ["USD"])
    assert stale.stale is True
    assert stale.rates == {"USD": Decimal("1.31")}
    calls = rates_server.calls
    # The failure is remembered briefly: callers do not hammer a provider that is down.
    assert (await cache.get_rates("EUR", ["USD"])).stale is True
    assert rates_server.calls == calls


async def test_provider_failure_without_a_copy_is_unavailable(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache(failure_ttl_seconds=7)
    rates_server.fault = "error"
    with pytest.raises(RatesUnavailableError):
        await cache.get_rates("EUR", ["USD"])
    with pytest.raises(RatesUnavailableError) as raised:
        await cache.get_rates("EUR", ["USD"])
    assert raised.value.retry_after_seconds == 7
    assert rates_server.calls == 1
    rates_server.fault = None
    await asyncio.sleep(0)  # the marker still holds: recovery waits for it to lapse
    with pytest.raises(RatesUnavailableError):
        await cache.get_rates("EUR", ["USD"])


async def test_a_lock_left_by_a_dead_refresher_expires(
    make_cache: Factory, rates_server: FakeRatesServer, redis_url: str
) -> None:
    cache = make_cache(lock_seconds=0.3)
    async with Redis.from_url(redis_url) as raw:
        await raw.set("portside:rates:{EUR:USD}:lock", "someone-who-died", px=300)
    rates = await cache.get_rates("EUR", ["USD"])
    assert rates.rates == {"USD": Decimal("1.31")}
    assert rates_server.calls == 1


async def test_redis_down_falls_through_to_the_provider(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache(f"redis://{LOOPBACK}:{free_port()}/0")
    rates = await cache.get_rates("EUR", ["USD"])
    assert rates.rates == {"USD": Decimal("1.31")}
    assert rates.stale is False
    assert rates_server.calls == 1


async def test_redis_stopped_mid_run_falls_through_to_the_provider(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    own_redis = start_redis()
    try:
        cache = make_cache(f"redis://{LOOPBACK}:{own_redis.port}/0")
        await cache.get_rates("EUR", ["USD"])
        assert rates_server.calls == 1
    finally:
        own_redis.stop()
    rates = await cache.get_rates("EUR", ["USD"])
    assert rates.rates == {"USD": Decimal("1.31")}
    assert rates_server.calls == 2


async def test_the_in_process_copy_is_served_for_its_short_ttl_only(
    make_cache: Factory, rates_server: FakeRatesServer, redis_url: str
) -> None:
    cache = make_cache(ttl_seconds=20, local_ttl_seconds=0.3)
    await cache.get_rates("EUR", ["USD"])
    async with Redis.from_url(redis_url) as raw:  # another process refreshes Redis's copy
        doc = b'{"base":"EUR","asOf":"2026-11-21","rates":{"USD":"1.40"}}'
        await raw.set("portside:rates:{EUR:USD}:fresh", doc, ex=20)
        assert (await cache.get_rates("EUR", ["USD"])).rates["USD"] == Decimal("1.31")
        await asyncio.sleep(0.35)
        assert (await cache.get_rates("EUR", ["USD"])).rates["USD"] == Decimal("1.40")
        await raw.delete("portside:rates:{EUR:USD}:fresh")
    assert rates_server.calls == 1


async def test_stale_copies_are_not_held_in_process(
    make_cache: Factory, rates_server: FakeRatesServer
) -> None:
    cache = make_cache(ttl_seconds=1, local_ttl_seconds=1, failure_ttl_seconds=1)
    await cache.get_rates("EUR", ["USD"])
    await asyncio.sleep(1.1)
    rates_server.fault = "error"
    assert (await cache.get_rates("EUR", ["USD"])).stale is True
    rates_server.fault = None
    await asyncio.sleep(1.1)  # the failure marker lapses; the provider is back
    assert (await cache.get_rates("EUR", ["USD"])).stale is False
