"""(a) Requests/s of GET /stock/{id} with Redis-cached rates vs /healthz, same uvicorn.

The container entry (``entrypoints.container.asgi:app``) runs under uvicorn with one worker,
in-memory stocks, the HTTP rates provider (a loopback fake) and a real redis-server as the
cache. wrk loads each endpoint in turn, alternating, and the ratio of medians is printed,
once with the default configuration and once with the in-process copy of the rates off
(every request then reads Redis).

    python -m bench.throughput [--seconds 10] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import statistics

import httpx

from bench.wrk import load_arguments, wrk
from tests.support.fake_rates import FakeRatesServer
from tests.support.services import LOOPBACK, base_env, start_container, start_redis


def measure(local_seconds: str, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """req/s of the stock route and of /healthz, alternating, on one fresh server."""
    redis = start_redis()
    with FakeRatesServer() as provider:
        env = base_env(
            REDIS_URL=f"redis://{LOOPBACK}:{redis.port}/0",
            RATES_API_URL=provider.url,
            RATES_LOCAL_CACHE_SECONDS=local_seconds,
            LOG_LEVEL="WARNING",
        )
        server, base = start_container(env)
        try:
            stock, trivial = f"{base}/stock/AMZN", f"{base}/healthz"
            warm = httpx.get(stock)
            assert warm.status_code == 200, warm.text
            wrk(stock, 2, args.connections)  # warm-up, not counted
            stock_rps, trivial_rps = [], []
            for _ in range(args.rounds):
                trivial_rps.append(wrk(trivial, args.seconds, args.connections))
                stock_rps.append(wrk(stock, args.seconds, args.connections))
        finally:
            server.stop()
            redis.stop()
    return stock_rps, trivial_rps


def main() -> None:
    args = load_arguments(__doc__)

    for label, local in [("default: local copy 1 s", "1"), ("local copy off", "0")]:
        stock_rps, trivial_rps = measure(local, args)
        s, t = statistics.median(stock_rps), statistics.median(trivial_rps)
        print(f"[{label}] (RATES_LOCAL_CACHE_SECONDS={local})")
        print(f"  GET /stock/AMZN (Redis-cached rates): {[round(x) for x in stock_rps]} req/s")
        print(f"  GET /healthz (trivial):               {[round(x) for x in trivial_rps]} req/s")
        print(f"  ratio = {s:.0f} / {t:.0f} = {s / t:.2f}  (target >= 0.6)")


if __name__ == "__main__":
    main()
