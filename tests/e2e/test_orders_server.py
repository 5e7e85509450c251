"""Orders through ``portside serve`` with DynamoDB adapters (moto) and a loopback payment
provider: the concurrency invariant, compensations, replays, and a crash mid-saga."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.fake_payments import FakePaymentProvider
from tests.support.services import Service, base_env, run_portside, start_portside

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


@pytest.fixture(scope="module")
def payments() -> Iterator[FakePaymentProvider]:
    with FakePaymentProvider() as provider:
        yield provider


@pytest.fixture
def provider(payments: FakePaymentProvider) -> FakePaymentProvider:
    payments.fault, payments.delay = None, 0.0
    return payments


@pytest.fixture(scope="module")
def orders_env(aws_env: dict[str, str], payments: FakePaymentProvider) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    env = base_env(
        **aws_env,
        ORDERS_TABLE=f"orders-{suffix}",
        INVENTORY_TABLE=f"inventory-{suffix}",
        IDEMPOTENCY_TABLE=f"idempotency-{suffix}",
        PAYMENTS_API_URL=payments.url,
        ORDERS_FAULT_INJECTION="true",
    )
    made = run_portside(env, "init-aws", "--demo-data")
    assert made.returncode == 0, made.stderr
    assert f"table {env['INVENTORY_TABLE']}: demo catalogue written" in made.stdout
    return env


@pytest.fixture(scope="module")
def server(orders_env: dict[str, str]) -> Iterator[str]:
    process, url = start_portside(orders_env)
    yield url
    process.stop_gracefully()


def stock_item(dynamodb: DynamoDBClient, env: dict[str, str], count: int) -> str:
    item_id = f"LTD-{uuid.uuid4().hex[:6]}"
    dynamodb.put_item(
        TableName=env["INVENTORY_TABLE"],
        Item={
            "ItemId": {"S": item_id}, "ItemName": {"S": "Limited"},
            "ItemsInStock": {"N": str(count)}, "Price": {"N": "9.99"},
        },
    )  # fmt: skip
    return item_id


def order(item: str, quantity: int = 1, token: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "requestToken": token or uuid.uuid4().hex,
        "userId": "shopper-1",
        "items": [{"productId": item, "quantity": quantity}],
        **extra,
    }


def in_stock(url: str, item: str) -> int:
    count: int = httpx.get(f"{url}/inventory/{item}").json()["itemsInStock"]
    return count


def test_concurrent_orders_never_oversell(
    server: str, orders_env: dict[str, str], dynamodb: DynamoDBClient, provider: FakePaymentProvider
) -> None:
    stock, orders = 20, 50
    item = stock_item(dynamodb, orders_env, stock)
    charged_before = provider.net_charged

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50)) as c:
            return await asyncio.gather(
                *(c.post(f"{server}/orders", json=order(item)) for _ in range(orders))
            )

    responses = asyncio.run(burst())
    assert {r.status_code for r in responses} == {201}
    outcomes = [(r.json()["status"], r.json().get("reason")) for r in responses]
    completed = outcomes.count(("COMPLETED", None))
    assert completed == min(orders, stock)
    assert outcomes.count(("CANCELLED", "OUT_OF_STOCK")) == orders - completed
    final = in_stock(server, item)
    assert final == 0
    assert completed + final == stock
    assert provider.net_charged - charged_before == Decimal("9.99") * completed


@pytest.mark.parametrize("stage", ["PlaceOrder", "UpdateInventory", "MakePayment"])
def test_each_injected_failure_cancels_and_restores(
    server: str, provider: FakePaymentProvider, stage: str
) -> None:
    before, charged = in_stock(server, "ITEM002"), provider.net_charged
    response = httpx.post(f"{server}/orders", json=order("ITEM002", 3, failAtStage=stage))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["failedStep"], body["reason"]) == (
        "CANCELLED",
        stage,
        "INJECTED_FAILURE",
    )
    assert in_stock(server, "ITEM002") == before
    assert provider.net_charged == charged
    assert httpx.get(f"{server}/orders/{body['orderId']}").json() == body


def test_a_declined_payment_cancels_and_restores(
    server: str, provider: FakePaymentProvider
) -> None:
    before = in_stock(server, "ITEM003")
    provider.fail_next(1, "decline")
    body = httpx.post(f"{server}/orders", json=order("ITEM003", 2)).json()
    assert (body["status"], body["reason"]) == ("CANCELLED", "PAYMENT_DECLINED")
    assert in_stock(server, "ITEM003") == before


def test_a_replay_returns_the_same_order_and_changes_nothing(
    server: str, provider: FakePaymentProvider
) -> None:
    request = order("ITEM001", 2)
    first = httpx.post(f"{server}/orders", json=request)
    after_first, charges = in_stock(server, "ITEM001"), len(provider.charges)
    again = httpx.post(f"{server}/orders", json=request)
    assert again.status_code == 201
    assert again.json()["orderId"] == first.json()["orderId"]
    assert again.json() == first.json()
    assert in_stock(server, "ITEM001") == after_first
    assert len(provider.charges) == charges
    other = httpx.post(f"{server}/orders", json={**request, "comment": "changed"})
    assert other.status_code == 409


RECOVER_BY_LAMBDA = """
import json
from entrypoints.aws_lambda.orders import recover_handler
print(json.dumps(recover_handler({"source": "aws.events"}, None)))
"""


@pytest.mark.parametrize("recovery", ["cli", "lambda"])
def test_a_crash_between_steps_is_recovered_with_no_half_done_order(
    orders_env: dict[str, str], dynamodb: DynamoDBClient, provider: FakePaymentProvider,
    recovery: str,
) -> None:  # fmt: skip
    item = stock_item(dynamodb, orders_env, 10)
    crashed, url = start_portside(orders_env)
    provider.delay = 2.0  # the payment call is in flight when the process dies
    request = order(item, 3)
    worker = threading.Thread(target=lambda: _post_ignoring_errors(url, request), daemon=True)
    worker.start()
    time.sleep(1.0)
    os.kill(crashed.pid, signal.SIGKILL)  # no graceful anything
    crashed.process.wait(10)
    worker.join(10)
    provider.delay = 0.0
    time.sleep(1.5)  # the provider finishes the charge the dead process asked for

    stuck = _orders_of(dynamodb, orders_env, item)
    assert [o["status"]["S"] for o in stuck] == ["INVENTORY_UPDATED"]  # half-done
    if recovery == "cli":
        result = run_portside(orders_env, "orders", "recover", "--idle", "0")
        assert result.returncode == 0, result.stderr
        assert "COMPLETED" in result.stdout
    else:
        result = subprocess.run(
            [sys.executable, "-c", RECOVER_BY_LAMBDA],
            env={**orders_env, "ORDERS_RECOVERY_IDLE_SECONDS": "0"},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert [o["status"] for o in report["recovered"]] == ["COMPLETED"]

    (done,) = _orders_of(dynamodb, orders_env, item)
    assert done["status"]["S"] == "COMPLETED"
    charges = [c for c in provider.charges.values() if c["orderId"] == done["orderId"]["S"]]
    assert len(charges) == 1  # charged once, though asked twice
    server, url = start_portside(orders_env)
    try:
        assert in_stock(url, item) == 7  # reserved once
    finally:
        server.stop_gracefully()


def _post_ignoring_errors(url: str, body: dict[str, Any]) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server is killed mid-request
        httpx.post(f"{url}/orders", json=body, timeout=10)


def _orders_of(dynamodb: DynamoDBClient, env: dict[str, str], item: str) -> list[Any]:
    items = dynamodb.scan(TableName=env["ORDERS_TABLE"], ConsistentRead=True)["Items"]
    return [o for o in items if o["lines"]["L"][0]["M"]["productId"]["S"] == item]


def test_with_a_state_machine_post_answers_202_and_starts_one_execution(
    orders_env: dict[str, str], aws_env: dict[str, str]
) -> None:
    import boto3

    sfn = boto3.client(
        "stepfunctions", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    definition = Path(__file__).parents[2] / "deploy" / "orders-saga.asl.json"
    machine = sfn.create_state_machine(
        name=f"orders-{uuid.uuid4().hex[:8]}", definition=definition.read_text(),
        roleArn="arn:aws:iam::123456789012:role/portside-orders",
    )["stateMachineArn"]  # fmt: skip
    server: Service
    server, url = start_portside({**orders_env, "ORDERS_STATE_MACHINE_ARN": machine})
    try:
        request = order("ITEM001", 1)
        first = httpx.post(f"{url}/orders", json=request)
        assert first.status_code == 202
        body = first.json()
        assert first.headers["location"] == f"/orders/{body['orderId']}"
        assert body["status"] == "PENDING"
        again = httpx.post(f"{url}/orders", json=request)
        assert (again.status_code, again.json()["orderId"]) == (202, body["orderId"])
        executions = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert [e["name"] for e in executions] == [body["orderId"]]
    finally:
        server.stop_gracefully()
