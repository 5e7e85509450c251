"""The stocks context: ``STOCKS_TABLE`` -> DynamoDB, else the demo stocks in memory;
``RATES_API_URL`` -> the HTTP rates provider, else fixed demo rates; ``REDIS_URL`` -> the
rates cache wraps whichever provider (the one exception to the selection rule)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.stocks.errors import InvalidStockRequestError
from domain.stocks.service import StockValuationService
from entrypoints.composition.shared import Backend, backend
from entrypoints.settings import ConfigurationError
from ports.stocks import RatesProvider, StockRepository

if TYPE_CHECKING:
    from entrypoints.composition import Composition

READS = (
    "stocks_table",
    "rates_api_url",
    "rates_cache_ttl_seconds",
    "rates_local_cache_seconds",
    "redis_url",
    "stock_currencies",
)


def build_stocks(root: Composition) -> StockValuationService:
    settings = root.settings
    repository = root.overrides.stock_repository or _repository(root)
    rates = root.overrides.rates_provider or _rates_provider(root)
    if settings.redis_url:
        from adapters.redis.stocks import RedisCachedRatesProvider

        rates = RedisCachedRatesProvider(
            rates,
            # A cache: Redis down -> rates come straight from the provider.
            root.redis(holds_data=False),
            ttl_seconds=settings.rates_cache_ttl_seconds,
            local_ttl_seconds=settings.rates_local_cache_seconds,
        )
    try:
        return StockValuationService(repository, rates, settings.stock_currencies)
    except InvalidStockRequestError as exc:
        raise ConfigurationError(f"STOCK_CURRENCIES: {exc.detail}") from exc


def _repository(root: Composition) -> StockRepository:
    table = root.settings.stocks_table
    if backend(table, root.settings) is Backend.AWS:
        from adapters.dynamodb.stocks import DynamoDBStockRepository

        assert table
        return DynamoDBStockRepository(root.dynamodb("stocksTable", table), table)
    from adapters.memory.stocks import DEMO_STOCKS, InMemoryStockRepository

    return InMemoryStockRepository(DEMO_STOCKS)


def _rates_provider(root: Composition) -> RatesProvider:
    url = root.settings.rates_api_url
    if backend(url, root.settings) is Backend.AWS:
        from adapters.http.stocks import DEFAULT_TIMEOUT, HttpRatesProvider

        assert url
        return HttpRatesProvider(root.clients.http(DEFAULT_TIMEOUT), url)
    from adapters.memory.stocks import DEMO_RATES, FixedRatesProvider

    return FixedRatesProvider(DEMO_RATES)
