"""IdempotencyStore contract: in memory, real Redis, DynamoDB (moto)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from adapters.memory.shared import InMemoryIdempotencyStore
from domain.shared.idempotency import IdempotencyRecord, RecordStatus
from ports.shared import IdempotencyStore
from tests.support.services import dynamodb_client

T = TypeVar("T")
NOW = int(time.time() * 1000)  # Redis expires keys by the real clock


def record(
    key: str, payload: str = "h1", lock_ms: int = 60_000, now: int = NOW
) -> IdempotencyRecord:
    return IdempotencyRecord(
        key, RecordStatus.INPROGRESS, payload, (now // 1000) + 3600, now + lock_ms
    )


Run = Callable[[Callable[[IdempotencyStore], Awaitable[T]]], T]


async def _nothing() -> None:
    return None


@pytest.fixture(scope="module", params=["memory", "redis", "dynamodb"])
def run(request: pytest.FixtureRequest) -> Run[Any]:
    """Runs work on a fresh handle (own client) onto one shared store, in its own loop."""
    opener: Callable[[], tuple[IdempotencyStore, Callable[[], Awaitable[None]]]]
    if request.param == "memory":
        shared = InMemoryIdempotencyStore()
        opener = lambda: (shared, _nothing)  # noqa: E731
    elif request.param == "redis":
        from redis.asyncio import Redis

        from adapters.redis.shared import RedisIdempotencyStore

        port = request.getfixturevalue("redis_server").port

        def opener() -> tuple[IdempotencyStore, Callable[[], Awaitable[None]]]:
            client = Redis.from_url(f"redis://127.0.0.1:{port}/0")
            return RedisIdempotencyStore(client), client.aclose

    else:
        from adapters.dynamodb.shared import DynamoDBIdempotencyStore, create_idempotency_table

        env = request.getfixturevalue("aws_env")
        table = f"idempotency-{uuid.uuid4().hex[:8]}"
        create_idempotency_table(dynamodb_client(env), table)
        opener = lambda: (DynamoDBIdempotencyStore(dynamodb_client(env), table), _nothing)  # noqa: E731

    def run_work(work: Callable[[IdempotencyStore], Awaitable[T]]) -> T:
        async def main() -> T:
            store, close = opener()
            try:
                return await work(store)
            finally:
                await close()

        return asyncio.run(main())

    return run_work


@pytest.fixture
def key() -> str:
    return uuid.uuid4().hex


def test_the_first_caller_takes_the_key_and_later_ones_see_it(run: Run[Any], key: str) -> None:
    async def work(store: IdempotencyStore) -> None:
        assert await store.acquire(record(key), NOW) is None
        held = await store.acquire(record(key, "h2"), NOW + 1)
        assert held is not None
        assert (held.status, held.payload_hash, held.response) == (
            RecordStatus.INPROGRESS,
            "h1",
            None,
        )
        await store.complete(key, "order-7", (NOW // 1000) + 3600)
        done = await store.acquire(record(key), NOW + 2)
        assert done is not None
        assert (done.status, done.response) == (RecordStatus.COMPLETED, "order-7")

    run(work)


def test_a_released_key_can_be_taken_again(run: Run[Any], key: str) -> None:
    async def work(store: IdempotencyStore) -> None:
        assert await store.acquire(record(key), NOW) is None
        await store.release(key)
        assert await store.acquire(record(key), NOW) is None

    run(work)


def test_a_lapsed_lock_or_an_expired_record_frees_the_key(run: Run[Any], key: str) -> None:
    async def work(store: IdempotencyStore) -> None:
        # Now, not at import: the record lives 10 s by the real clock, which Redis expires by.
        now = int(time.time() * 1000)
        assert await store.acquire(record(key, lock_ms=1000, now=now), now) is None
        assert await store.acquire(record(key, now=now), now + 999) is not None
        lapsed = await store.acquire(record(key, now=now), now + 1000)
        assert lapsed is None  # the crashed lock lapsed
        await store.complete(key, "order-1", (now // 1000) + 10)
        assert await store.acquire(record(key, now=now), now + 9_000) is not None
        assert await store.acquire(record(key, now=now), now + 10_000) is None  # expired

    run(work)


def test_concurrent_callers_take_a_key_once(run: Run[Any], key: str) -> None:
    async def acquire(store: IdempotencyStore) -> IdempotencyRecord | None:
        return await store.acquire(record(key), NOW)

    def take(_: int) -> bool:
        return run(acquire) is None

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(take, range(32))).count(True) == 1
