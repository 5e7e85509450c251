"""The HTTP app in process (ASGI transport, no network) on in-memory adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import httpx
import pytest

from adapters.memory.stocks import InMemoryStockRepository
from domain.stocks.errors import StockStoreUnavailableError
from domain.stocks.model import Rates, Stock
from entrypoints.composition import Composition, Overrides, ReadinessCheck, compose
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


class BrokenStockRepository:
    """Fails with an error no layer expects, carrying text that must not reach a client."""

    async def get(self, stock_id: str) -> Stock | None:
        raise RuntimeError("botocore secret internals")

    async def add(self, stock: Stock) -> None:
        raise RuntimeError("botocore secret internals")


class DownStockRepository(InMemoryStockRepository):
    async def get(self, stock_id: str) -> Stock | None:
        raise StockStoreUnavailableError("The stock table cannot be read.")


class CountingRatesProvider:
    def __init__(self) -> None:
        self.calls = 0

    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        self.calls += 1
        return Rates(base, dict.fromkeys(symbols, Decimal("2")), "2026-11-20")


async def client_for(services: Composition) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(services), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://portside.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(compose(Settings())) as c:
        yield c


async def test_stock_values_are_decimal_strings(client: httpx.AsyncClient) -> None:
    response = await client.get("/stock/AMZN", params={"currencies": "eur,jpy"})
    assert response.status_code == 200
    assert response.json() == {
        "stock": "AMZN",
        "base": "EUR",
        "values": {"EUR": "172.35", "JPY": "28164"},  # 172.35 x 163.41 = 28163.7135
        "ratesAsOf": "2026-11-20",
        "stale": False,
    }


async def test_base_only_reports_no_rates_date(client: httpx.AsyncClient) -> None:
    body = (await client.get("/stock/MSFT?currencies=EUR")).json()
    assert body["values"] == {"EUR": "389.12"}
    assert body["ratesAsOf"] is None


@pytest.mark.parametrize(
    ("path", "status", "problem"),
    [
        ("/stock/NOPE", 404, "stock-not-found"),
        ("/stock/AMZN?currencies=XXX", 422, "invalid-input"),
        ("/stock/AMZN?currencies=", 422, "invalid-input"),
        ("/stock/AMZN?currencies=XCD", 503, "currency-not-provided"),
        ("/nowhere", 404, "not-found"),
    ],
)
async def test_every_error_has_the_one_shape(
    client: httpx.AsyncClient, path: str, status: int, problem: str
) -> None:
    response = await client.get(path, headers={"X-Request-Id": "req-42"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{problem}"
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert body["requestId"] == response.headers["x-request-id"] == "req-42"


async def test_wrong_method_is_405_in_the_same_shape(client: httpx.AsyncClient) -> None:
    response = await client.post("/stock/AMZN")
    assert response.status_code == 405
    assert response.json()["type"] == "/problems/method-not-allowed"


async def test_503_says_when_to_retry(client: httpx.AsyncClient) -> None:
    response = await client.get("/stock/AMZN?currencies=XCD")
    assert int(response.headers["retry-after"]) > 0


async def test_an_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "a b<script>"})
    assert response.headers["x-request-id"] != "a b<script>"
    assert len(response.headers["x-request-id"]) == 32


async def test_an_unexpected_error_is_a_500_without_internals() -> None:
    services = compose(Settings(), Overrides(stock_repository=BrokenStockRepository()))
    async with await client_for(services) as client:
        response = await client.get("/stock/AMZN")
    assert response.status_code == 500
    assert response.json()["type"] == "/problems/internal-error"
    assert "botocore" not in response.text
    assert "Traceback" not in response.text


async def test_store_outage_is_503(client: httpx.AsyncClient) -> None:
    services = compose(Settings(), Overrides(stock_repository=DownStockRepository()))
    async with await client_for(services) as down:
        response = await down.get("/stock/AMZN")
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/stock-store-unavailable"


async def test_invalid_input_is_refused_before_any_io() -> None:
    rates = CountingRatesProvider()
    overrides = Overrides(stock_repository=DownStockRepository(), rates_provider=rates)
    services = compose(Settings(), overrides)
    async with await client_for(services) as client:
        response = await client.get("/stock/bad!id?currencies=USD")
    assert response.status_code == 422
    assert rates.calls == 0


async def test_readiness_fails_only_on_required_dependencies() -> None:
    async def fails() -> None:
        raise ConnectionError("down")

    async def answers() -> None:
        return None

    services = compose(Settings())
    services.readiness.extend(
        [ReadinessCheck("cache", fails, required=False), ReadinessCheck("table", answers)]
    )
    async with await client_for(services) as client:
        degraded = await client.get("/readyz")
        assert degraded.status_code == 200
        assert degraded.json() == {"status": "ready", "checks": {"cache": "failed", "table": "ok"}}
        services.readiness.append(ReadinessCheck("queue", fails))
        failing = await client.get("/readyz")
    assert failing.status_code == 503
    assert failing.json()["checks"] == {"cache": "failed", "table": "ok", "queue": "failed"}
    assert failing.headers["retry-after"] == "5"
