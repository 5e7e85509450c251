"""A fully configured stack for end-to-end tests: moto (DynamoDB), real Redis, fake provider."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import LOOPBACK, Service, base_env, run_portside, start_redis


@pytest.fixture(scope="module")
def module_rates_server() -> Iterator[FakeRatesServer]:
    with FakeRatesServer() as server:
        yield server


@pytest.fixture
def provider(module_rates_server: FakeRatesServer) -> FakeRatesServer:
    """The module's fake provider, healthy and fast at the start of each test."""
    module_rates_server.fault, module_rates_server.delay = None, 0.0
    return module_rates_server


@pytest.fixture(scope="module")
def own_redis() -> Iterator[Service]:
    """A redis-server for this module alone, so a test may stop it."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack_env(
    aws_env: dict[str, str], module_rates_server: FakeRatesServer, own_redis: Service
) -> dict[str, str]:
    """Every adapter configured; the table created and filled by ``portside init-aws``."""
    env = base_env(
        **aws_env,
        STOCKS_TABLE=f"stocks-e2e-{uuid.uuid4().hex[:8]}",
        RATES_API_URL=module_rates_server.url,
        REDIS_URL=f"redis://{LOOPBACK}:{own_redis.port}/0",
        RATES_CACHE_TTL_SECONDS="1",
        STOCK_CURRENCIES="USD,JPY,KWD",
    )
    result = run_portside(env, "init-aws", "--demo-data")
    assert result.returncode == 0, result.stderr
    return env
