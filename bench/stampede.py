"""(b) Calls reaching the rates provider when 200 concurrent requests hit a cold cache.

The container entry runs under uvicorn with two worker processes (so the one-refresher rule
is exercised across processes), a real redis-server and a slow loopback rates provider.
For each of several keys (currency sets never asked before), 200 requests are sent at once
and the provider's calls are counted. The baseline is the same burst with no Redis, in the
same run.

    python -m bench.stampede [--keys 5] [--burst 200] [--provider-delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio

import httpx

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import LOOPBACK, base_env, start_container, start_redis

CURRENCY_SETS = ["USD", "CAD", "AUD", "JPY", "KWD", "USD,CAD", "USD,JPY", "CAD,AUD", "JPY,KWD"]


async def burst(url: str, size: int) -> list[int]:
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        responses = await asyncio.gather(*(client.get(url) for _ in range(size)))
    return [r.status_code for r in responses]


def calls_per_key(redis_url: str | None, args: argparse.Namespace) -> list[int]:
    with FakeRatesServer() as provider:
        provider.delay = args.provider_delay
        settings = {"RATES_API_URL": provider.url, "LOG_LEVEL": "WARNING"}
        if redis_url:
            settings["REDIS_URL"] = redis_url
        server, base = start_container(base_env(**settings), "--workers", "2")
        try:
            # Both workers up and serving (each answers /healthz) before any burst.
            asyncio.run(burst(f"{base}/healthz", 50))
            counts = []
            for currencies in CURRENCY_SETS[: args.keys]:
                before = provider.calls
                url = f"{base}/stock/AMZN?currencies={currencies}"
                statuses = asyncio.run(burst(url, args.burst))
                # Without the cache, each request calls the slow provider itself, and under a
                # burst some time out (503); the calls are what is counted.
                if redis_url:
                    assert statuses == [200] * args.burst, sorted(set(statuses))
                counts.append(provider.calls - before)
        finally:
            server.stop()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--provider-delay", type=float, default=0.2)
    args = parser.parse_args()

    redis = start_redis()
    try:
        cached = calls_per_key(f"redis://{LOOPBACK}:{redis.port}/0", args)
    finally:
        redis.stop()
    uncached = calls_per_key(None, args)
    print(f"{args.burst} concurrent cold requests per key, 2 uvicorn workers, "
          f"provider latency {args.provider_delay} s")  # fmt: skip
    print(f"  with the Redis cache: provider calls per key {cached} (target exactly 1 each)")
    print(f"  without a cache:      provider calls per key {uncached}")
    print(f"  ratio = {sum(cached)} / {sum(uncached)} = {sum(cached) / sum(uncached):.4f}")


if __name__ == "__main__":
    main()
