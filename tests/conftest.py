"""Session fixtures: a real redis-server and a moto server on free loopback ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import (
    LOOPBACK,
    Service,
    aws_test_env,
    dynamodb_client,
    start_moto,
    start_redis,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Service]:
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: Service) -> Iterator[str]:
    """A URL to the session's Redis, emptied before each test."""
    import redis

    url = f"redis://{LOOPBACK}:{redis_server.port}/0"
    with redis.Redis.from_url(url) as client:
        client.flushall()
    return url


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Service]:
    server = start_moto()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_env(moto_server: Service) -> dict[str, str]:
    return aws_test_env(f"http://{LOOPBACK}:{moto_server.port}")


@pytest.fixture(scope="session")
def dynamodb(aws_env: dict[str, str]) -> DynamoDBClient:
    client: DynamoDBClient = dynamodb_client(aws_env)
    return client


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses, so tests share one moto server without interfering."""
    return f"stocks-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def rates_server() -> Iterator[FakeRatesServer]:
    with FakeRatesServer() as server:
        yield server
