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
import re
import shutil
import statistics
import subprocess

import httpx

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import BIN, LOOPBACK, base_env, free_port, start_logged, start_redis


def wrk(url: str, seconds: int, connections: int, *options: str) -> float:
    """Requests per second from one wrk run (``options``: more wrk arguments, such as a
    header or a Lua script); fails on any socket error or non-2xx answer."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", *options, url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def measure(local_seconds: str, args: argparse.Namespace) -> tuple[list[float], list[float]]:
    """req/s of the stock route and of /healthz, alternating, on one fresh server."""
    redis = start_redis()
    port = free_port()
    with FakeRatesServer() as provider:
        env = base_env(
            REDIS_URL=f"redis://{LOOPBACK}:{redis.port}/0",
            RATES_API_URL=provider.url,
            RATES_LOCAL_CACHE_SECONDS=local_seconds,
            LOG_LEVEL="WARNING",
        )
        command = [str(BIN / "uvicorn"), "entrypoints.container.asgi:app",
                   "--host", LOOPBACK, "--port", str(port), "--no-access-log"]  # fmt: skip
        server = start_logged(command, port, env)
        base = f"http://{LOOPBACK}:{port}"
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    for label, local in [("default: local copy 1 s", "1"), ("local copy off", "0")]:
        stock_rps, trivial_rps = measure(local, args)
        s, t = statistics.median(stock_rps), statistics.median(trivial_rps)
        print(f"[{label}] (RATES_LOCAL_CACHE_SECONDS={local})")
        print(f"  GET /stock/AMZN (Redis-cached rates): {[round(x) for x in stock_rps]} req/s")
        print(f"  GET /healthz (trivial):               {[round(x) for x in trivial_rps]} req/s")
        print(f"  ratio = {s:.0f} / {t:.0f} = {s / t:.2f}  (target >= 0.6)")


if __name__ == "__main__":
    main()
