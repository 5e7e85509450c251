"""Orders: the saga's cost, and POST /orders latency over DynamoDB.

(1) orders per second through the in-process saga (idempotency record, order store, inventory
    reservation, payment, events, five saves) on in-memory adapters, versus the same number of
    bare inventory reservations on the same adapters, in one run;
(2) p50/p99 latency of POST /orders through ``portside serve`` with the DynamoDB adapters over
    a local moto server (one request at a time), for the record.

    python -m bench.orders [--orders 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from decimal import Decimal

import httpx

from adapters.memory.orders import DEMO_CATALOGUE, InMemoryInventory
from domain.orders.model import OrderLine, PlaceOrderRequest, RequestedLine
from entrypoints.composition import compose
from entrypoints.settings import Settings
from tests.support.fake_payments import FakePaymentProvider
from tests.support.services import (
    LOOPBACK,
    aws_test_env,
    base_env,
    run_portside,
    start_moto,
    start_portside,
)

# One unit of the demo catalogue's ITEM003 (2,000 in stock) per order.
ITEM = "ITEM003"


def request(token: str) -> PlaceOrderRequest:
    return PlaceOrderRequest(token, "bench", (RequestedLine(ITEM, 1),))


async def saga_rate(count: int) -> float:
    services = compose(Settings(log_level="WARNING"))  # the embedded default: all in memory
    start = time.perf_counter()
    for i in range(count):
        order = await services.orders.place(request(f"t{i}"))
        assert order.status.value == "COMPLETED"
    return count / (time.perf_counter() - start)


async def reservation_rate(count: int) -> float:
    inventory = InMemoryInventory(DEMO_CATALOGUE)
    line = (OrderLine(ITEM, 1, Decimal("3.10")),)
    start = time.perf_counter()
    for i in range(count):
        assert await inventory.reserve(f"o{i}", line)
    return count / (time.perf_counter() - start)


def post_latencies(requests: int) -> list[float]:
    moto = start_moto()
    try:
        with FakePaymentProvider() as payments:
            suffix = uuid.uuid4().hex[:8]
            env = base_env(
                **aws_test_env(f"http://{LOOPBACK}:{moto.port}"),
                ORDERS_TABLE=f"orders-{suffix}", INVENTORY_TABLE=f"inventory-{suffix}",
                IDEMPOTENCY_TABLE=f"idempotency-{suffix}", PAYMENTS_API_URL=payments.url,
                LOG_LEVEL="WARNING",
            )  # fmt: skip
            made = run_portside(env, "init-aws", "--demo-data")
            assert made.returncode == 0, made.stderr
            server, url = start_portside(env)
            try:
                times = []
                with httpx.Client(timeout=30) as client:
                    for i in range(requests + 10):
                        start = time.perf_counter()
                        response = client.post(f"{url}/orders", json={
                            "requestToken": f"p{i}", "userId": "bench",
                            "items": [{"productId": "ITEM003", "quantity": 1}],
                        })  # fmt: skip
                        elapsed = time.perf_counter() - start
                        assert response.json()["status"] == "COMPLETED", response.text
                        if i >= 10:  # the first ten warm up moto's lazy services
                            times.append(elapsed)
                return times
            finally:
                server.stop()
    finally:
        moto.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="at most 2,000 (ITEM003's stock)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    sagas, reservations = [], []
    for _ in range(args.rounds):
        reservations.append(asyncio.run(reservation_rate(args.orders)))
        sagas.append(asyncio.run(saga_rate(args.orders)))
    saga, bare = statistics.median(sagas), statistics.median(reservations)
    print(f"(1) {args.orders} orders, in memory, median of {args.rounds} rounds:")
    print(f"    in-process saga:         {saga:,.0f} orders/s  {[round(x) for x in sagas]}")
    print(f"    bare reservations:       {bare:,.0f} /s  {[round(x) for x in reservations]}")
    print(f"    ratio saga / reservation = {saga / bare:.3f}")

    times = sorted(post_latencies(args.requests))
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"(2) POST /orders, DynamoDB adapters over moto, {len(times)} sequential requests:")
    print(f"    p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
