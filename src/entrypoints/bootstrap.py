"""The composition root: settings -> clients -> adapters -> use cases.

Adapters are chosen by configuration, one rule for every port: its table (or URL) set -> the
real adapter, else in-memory with demo data. Modules of unselected adapters are never
imported, so a Lambda on the embedded default loads no boto3, redis or httpx.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adapters.memory.stocks import (
    DEMO_RATES,
    DEMO_STOCKS,
    FixedRatesProvider,
    InMemoryStockRepository,
)
from domain.stocks.errors import InvalidStockRequestError
from domain.stocks.service import StockValuationService
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings
from ports.stocks import RatesProvider, StockRepository

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from redis.asyncio import Redis

#: Connections per process to Redis; requests beyond it wait (at most 1 s) for a free one.
REDIS_MAX_CONNECTIONS = 32


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A dependency probe for ``/readyz``; a failing optional one only degrades the service."""

    name: str
    probe: Callable[[], Awaitable[object]]
    required: bool = True


@dataclass(slots=True)
class Services:
    """Everything the entrypoints need, built once per process."""

    settings: Settings
    stocks: StockValuationService
    readiness: list[ReadinessCheck] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close every client the composition root opened."""
        for close in reversed(self.closers):
            await close()


def load_settings() -> Settings:
    """Read the environment; the one place that does."""
    return Settings.from_env(os.environ)


def bootstrap(
    settings: Settings | None = None,
    *,
    stock_repository: StockRepository | None = None,
    rates_provider: RatesProvider | None = None,
) -> Services:
    """Build the services from settings (read from the environment when not given).

    Keyword overrides replace the configured adapter of a port (for tests and embedding).
    """
    settings = settings if settings is not None else load_settings()
    configure_logging(settings.log_level)
    readiness: list[ReadinessCheck] = []
    closers: list[Callable[[], Awaitable[object]]] = []

    if stock_repository is None:
        if settings.stocks_table:
            from adapters.dynamodb.stocks import DynamoDBStockRepository

            dynamodb = dynamodb_client(settings)
            table = settings.stocks_table
            stock_repository = DynamoDBStockRepository(dynamodb, table)
            readiness.append(
                ReadinessCheck(
                    "stocksTable",
                    lambda: asyncio.to_thread(dynamodb.describe_table, TableName=table),
                )
            )
        else:
            stock_repository = InMemoryStockRepository(DEMO_STOCKS)

    if rates_provider is None:
        if settings.rates_api_url:
            import httpx

            from adapters.http.stocks import DEFAULT_TIMEOUT, HttpRatesProvider

            http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
            closers.append(http.aclose)
            rates_provider = HttpRatesProvider(http, settings.rates_api_url)
        else:
            rates_provider = FixedRatesProvider(DEMO_RATES)

        if settings.redis_url:
            from adapters.redis.stocks import RedisCachedRatesProvider

            redis = redis_client(settings.redis_url)
            closers.append(redis.aclose)
            rates_provider = RedisCachedRatesProvider(
                rates_provider,
                redis,
                ttl_seconds=settings.rates_cache_ttl_seconds,
                local_ttl_seconds=settings.rates_local_cache_seconds,
            )
            # Redis down degrades (rates come straight from the provider); it is not fatal.
            readiness.append(ReadinessCheck("redis", redis.ping, required=False))

    try:
        stocks = StockValuationService(stock_repository, rates_provider, settings.stock_currencies)
    except InvalidStockRequestError as exc:
        raise ConfigurationError(f"STOCK_CURRENCIES: {exc.detail}") from exc
    return Services(settings, stocks, readiness, closers)


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    """A DynamoDB client with explicit timeouts and bounded, jittered retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.client("dynamodb", endpoint_url=settings.aws_endpoint_url, config=config)


def redis_client(url: str) -> Redis:
    """An asyncio Redis client with short timeouts: a cache must fail fast, not stall.

    The pool is bounded and blocking: under a burst, callers queue briefly for a connection
    instead of failing with "Too many connections" (which the cache would take for an
    outage and answer by calling the provider once per caller).
    """
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import EqualJitterBackoff

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=1.0,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(EqualJitterBackoff(cap=0.05, base=0.01), retries=1),
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


def init_aws(settings: Settings, *, demo_data: bool) -> list[str]:
    """Create every table the configured adapters need, if missing; optionally add demo rows.

    Returns one line per resource saying what was done.
    """
    report: list[str] = []
    if settings.stocks_table:
        from adapters.dynamodb.stocks import DynamoDBStockRepository, create_stocks_table

        dynamodb = dynamodb_client(settings)
        created = create_stocks_table(dynamodb, settings.stocks_table)
        report.append(f"table {settings.stocks_table}: {'created' if created else 'exists'}")
        if demo_data:
            repository = DynamoDBStockRepository(dynamodb, settings.stocks_table)

            async def write_demo_stocks() -> None:
                for stock in DEMO_STOCKS:
                    await repository.add(stock)

            asyncio.run(write_demo_stocks())
            report.append(f"table {settings.stocks_table}: {len(DEMO_STOCKS)} demo stocks written")
    return report
