"""``portside serve`` as a subprocess, called over HTTP, on the embedded default and configured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import Service, base_env, start_portside

EXPECTED_AMZN = {
    # 172.35 EUR (demo row) x 1.31, x 163.41, x 0.3312 (the fake provider's rates)
    "stock": "AMZN",
    "base": "EUR",
    "values": {"EUR": "172.35", "USD": "225.78", "JPY": "28164", "KWD": "57.082"},
    "ratesAsOf": "2026-11-20",
    "stale": False,
}


@pytest.fixture(scope="module")
def server(stack_env: dict[str, str]) -> Iterator[str]:
    process, url = start_portside(stack_env)
    yield url
    process.stop_gracefully()


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "requestId"}
    assert "Traceback" not in response.text
    assert "botocore" not in response.text
    return body


def test_embedded_default_answers_with_demo_data() -> None:
    process, url = start_portside(base_env())
    try:
        response = httpx.get(f"{url}/stock/AMZN")
        assert response.status_code == 200
        body = response.json()
        assert body["values"] == {
            "EUR": "172.35",
            "USD": "186.53",
            "CAD": "253.56",
            "AUD": "281.24",
        }
        assert httpx.get(f"{url}/readyz").json() == {"status": "ready", "checks": {}}
        assert httpx.get(f"{url}/docs").status_code == 200
        assert httpx.get(f"{url}/openapi.json").json()["paths"].keys() >= {"/stock/{stock_id}"}
    finally:
        process.stop_gracefully()


def test_configured_stack_returns_exact_decimal_strings(
    server: str, provider: FakeRatesServer
) -> None:
    response = httpx.get(f"{server}/stock/AMZN")  # STOCK_CURRENCIES=USD,JPY,KWD
    assert response.status_code == 200
    assert response.json() == EXPECTED_AMZN
    assert response.headers["x-request-id"]


def test_unknown_stock_is_404(server: str, provider: FakeRatesServer) -> None:
    body = assert_problem(httpx.get(f"{server}/stock/NOPE"), 404)
    assert body["type"] == "/problems/stock-not-found"


@pytest.mark.parametrize(
    "path",
    [
        "/stock/bad%20id",
        "/stock/ABCDEFGHIJKLMNOPQ",
        "/stock/AMZN?currencies=XXX",
        "/stock/AMZN?currencies=USD,XTS",
    ],
)
def test_invalid_id_or_currency_is_422(server: str, provider: FakeRatesServer, path: str) -> None:
    body = assert_problem(httpx.get(f"{server}{path}"), 422)
    assert body["errors"]


def test_provider_down_with_no_copy_is_503_with_retry_after(
    server: str, provider: FakeRatesServer
) -> None:
    provider.fault = "error"
    response = httpx.get(f"{server}/stock/AMZN?currencies=CAD")  # never cached
    body = assert_problem(response, 503)
    assert int(response.headers["retry-after"]) > 0
    assert body["type"] == "/problems/rates-unavailable"


def test_a_currency_the_provider_does_not_return_is_503_naming_it(
    server: str, provider: FakeRatesServer
) -> None:
    body = assert_problem(httpx.get(f"{server}/stock/AMZN?currencies=USD,GBP"), 503)
    assert "GBP" in str(body["detail"])


def test_provider_down_after_a_success_serves_stale_rates(
    server: str, provider: FakeRatesServer
) -> None:
    fresh = httpx.get(f"{server}/stock/MSFT?currencies=AUD").json()
    assert fresh["stale"] is False
    time.sleep(1.2)  # past RATES_CACHE_TTL_SECONDS=1
    provider.fault = "error"
    response = httpx.get(f"{server}/stock/MSFT?currencies=AUD")
    assert response.status_code == 200
    assert response.json() == {**fresh, "stale": True}


def test_200_concurrent_cold_requests_make_one_provider_call(
    server: str, provider: FakeRatesServer
) -> None:
    # The module caches rates for 1 s only: the one call must outlast the burst's arrival
    # (200 connections on a loaded 2-core machine took more than the 0.3 s, then the 1.5 s,
    # this once had), within the provider client's 2 s read timeout.
    provider.delay = 1.8
    before = provider.calls

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            # The 200 connections opened first, so the burst arrives at once: opening them
            # under load once took longer than the cached rates live (1 s here).
            await asyncio.gather(*(client.get(f"{server}/healthz") for _ in range(200)))
            url = f"{server}/stock/AAPL?currencies=USD,CAD,AUD,JPY"
            return await asyncio.gather(*(client.get(url) for _ in range(200)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 200
    assert len({r.text for r in responses}) == 1
    assert provider.calls - before == 1


def test_redis_stopped_mid_run_still_answers(
    stack_env: dict[str, str], own_redis: Service, provider: FakeRatesServer
) -> None:
    # Runs last in this module: it stops the module's Redis.
    process, url = start_portside(stack_env)
    try:
        assert httpx.get(f"{url}/stock/GOOGL?currencies=USD").status_code == 200
        own_redis.stop()
        response = httpx.get(f"{url}/stock/GOOGL?currencies=JPY")
        assert response.status_code == 200
        assert response.json()["stale"] is False
        # Here Redis also holds the leaderboards (no LEADERBOARDS_TABLE), so it is required.
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"] == {"stocksTable": "ok", "redis": "failed"}
    finally:
        process.stop_gracefully()
