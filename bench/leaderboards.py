"""Leaderboards on Redis: the adapter against the minimal raw redis-py doing the same work.

(a) latency of "top 10 plus me" (``RedisLeaderboardStore.page``) vs a raw pipeline reading
    the same things from a plain sorted set: ZREVRANGE 0 9 WITHSCORES, ZREVRANK, ZSCORE, ZCARD;
(b) submissions per second for batches of 1,000 ``BEST`` submissions (``submit``) vs a raw
    pipeline of 1,000 ``ZADD GT``.

Both sides use the same redis-server and the same asyncio client; blocks of each alternate and
medians are compared.

    python -m bench.leaderboards [--members 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from redis.asyncio import Redis

from adapters.redis.leaderboards import RedisLeaderboardStore
from domain.leaderboards.model import Board, Entry, Policy
from tests.support.services import LOOPBACK, start_redis

START = datetime(2026, 11, 20, tzinfo=UTC)


def entries(count: int, rng: random.Random) -> list[Entry]:
    return [
        Entry(
            f"player-{rng.randrange(10**6):06d}",
            Decimal(rng.randrange(10**7)).scaleb(-2),
            START + timedelta(milliseconds=rng.randrange(10**9)),
            {"name": "Player"},
        )
        for _ in range(count)
    ]


async def timed(block: int, call: object) -> float:
    """Seconds per call, over ``block`` sequential calls."""
    assert callable(call)
    start = time.perf_counter()
    for _ in range(block):
        await call()
    return (time.perf_counter() - start) / block


async def run(members: int, rounds: int) -> None:
    redis_server = start_redis()
    redis = Redis.from_url(f"redis://{LOOPBACK}:{redis_server.port}/0")
    try:
        rng = random.Random(1)
        store = RedisLeaderboardStore(redis)
        board = await store.create_board(Board("bench-board", Policy.BEST))
        raw = "raw-board"
        population = entries(members, rng)
        for i in range(0, members, 1000):
            batch = population[i : i + 1000]
            await store.submit(board, batch)
            await redis.zadd(raw, {e.member: float(e.score) for e in batch})
        me = population[members // 2].member

        async def adapter_page() -> None:
            await store.page(board, 10, 0, me)

        async def raw_page() -> None:
            pipe = redis.pipeline(transaction=False)
            pipe.zrevrange(raw, 0, 9, withscores=True)
            pipe.zrevrank(raw, me)
            pipe.zscore(raw, me)
            pipe.zcard(raw)
            await pipe.execute()

        batches = [entries(1000, rng) for _ in range(rounds * 2)]

        async def adapter_submit() -> None:
            await store.submit(board, batches.pop())

        async def raw_submit() -> None:
            batch = batches.pop()
            pipe = redis.pipeline(transaction=False)
            for e in batch:
                pipe.zadd(raw, {e.member: float(e.score)}, gt=True)
            await pipe.execute()

        ours_page, raw_pages, ours_submit, raw_submits = [], [], [], []
        for _ in range(3):  # warm-up, not counted
            await adapter_page()
            await raw_page()
        for _ in range(rounds):
            raw_pages.append(await timed(500, raw_page))
            ours_page.append(await timed(500, adapter_page))
            raw_submits.append(await timed(1, raw_submit))
            ours_submit.append(await timed(1, adapter_submit))
    finally:
        await redis.aclose()
        redis_server.stop()

    page_ratio = statistics.median(ours_page) / statistics.median(raw_pages)
    ours_rate = 1000 / statistics.median(ours_submit)
    raw_rate = 1000 / statistics.median(raw_submits)
    print(f"board of {members:,} members, {rounds} rounds, medians")
    print(f"(a) top 10 plus me: adapter {statistics.median(ours_page) * 1e6:.0f} us, "
          f"raw pipeline {statistics.median(raw_pages) * 1e6:.0f} us; "
          f"latency ratio {page_ratio:.2f} (target <= 1.3)")  # fmt: skip
    print(f"(b) 1,000 BEST submissions: adapter {ours_rate:,.0f}/s, raw ZADD GT {raw_rate:,.0f}/s; "
          f"throughput ratio {ours_rate / raw_rate:.2f} (target >= 0.5)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.rounds))


if __name__ == "__main__":
    main()
