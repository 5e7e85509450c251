"""SagaOrchestrator contract: in-process, and Step Functions (moto, whose executions run until
stopped, so "under way" is a running execution there and a finished order in-process)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.memory.orders import (
    DEMO_CATALOGUE,
    InMemoryInventory,
    InMemoryOrderStore,
    InMemoryPaymentGateway,
)
from adapters.memory.shared import InMemoryDeadLetters, InMemoryEventPublisher
from domain.orders.model import Order, new_order, price_lines
from domain.orders.saga import InProcessOrchestrator, OrderSaga
from domain.shared.correlation import correlation
from ports.orders import SagaOrchestrator
from tests.support.fakes import ManualClock
from tests.support.wire import order as place_request

pytestmark = pytest.mark.anyio
DEFINITION = Path(__file__).parents[2] / "deploy" / "orders-saga.asl.json"


@dataclass
class Subject:
    orchestrator: SagaOrchestrator
    store: InMemoryOrderStore
    #: Whether the order's saga is under way or done (a run goes on, or the order finished).
    under_way: Callable[[Order], Awaitable[bool]]
    #: Give the order a first run that ends without finishing it (the process crashing
    #: after one step; an execution that failed); the order as it was left.
    first_run_unfinished: Callable[[Order], Awaitable[Order]]
    #: How many runs of the saga the order has had (starts that found work to do).
    runs: Callable[[Order], int]
    #: The correlation id the order's latest run carries into its steps.
    correlation_of: Callable[[Order], Awaitable[str | None]]


@pytest.fixture(params=["in-process", "stepfunctions"])
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    store, events = InMemoryOrderStore(), InMemoryEventPublisher()
    saga = OrderSaga(
        store,
        InMemoryInventory(DEMO_CATALOGUE),
        InMemoryPaymentGateway(),
        events,
        InMemoryDeadLetters(),
        ManualClock(),
    )

    async def stored(order: Order) -> Order:
        found = await store.get(order.order_id)
        assert found is not None
        return found

    if request.param == "in-process":
        started: dict[str, int] = {}

        class Counting(InProcessOrchestrator):
            async def start(self, order: Order) -> Order:
                if not order.status.terminal:  # a start that runs the saga, not a no-op
                    started[order.order_id] = started.get(order.order_id, 0) + 1
                return await super().start(order)

        async def finished(order: Order) -> bool:
            return (await stored(order)).status.terminal

        async def crash_after_one_step(order: Order) -> Order:
            started[order.order_id] = started.get(order.order_id, 0) + 1
            return await saga.advance(order)  # ... and then the process died

        async def published_under(order: Order) -> str | None:
            (latest, *_) = [e for e in reversed(events.published) if order.order_id in e.event_id]
            return latest.correlation_id

        yield Subject(
            Counting(saga), store, finished, crash_after_one_step,
            lambda o: started.get(o.order_id, 0), published_under,
        )  # fmt: skip
        return
    import boto3

    from adapters.stepfunctions.orders import StepFunctionsOrchestrator

    env = request.getfixturevalue("aws_env")
    sfn = boto3.client(
        "stepfunctions", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    machine = sfn.create_state_machine(
        name=f"orders-{uuid.uuid4().hex[:8]}", definition=DEFINITION.read_text(),
        roleArn="arn:aws:iam::123456789012:role/portside-orders",
    )["stateMachineArn"]  # fmt: skip

    def executions(order: Order) -> list[dict[str, str]]:
        listed = sfn.list_executions(stateMachineArn=machine)["executions"]
        return [
            {"arn": e["executionArn"], "status": e["status"]}
            for e in listed
            if e["name"] == order.order_id or e["name"].startswith(f"{order.order_id}-")
        ]

    async def running(order: Order) -> bool:
        return any(e["status"] == "RUNNING" for e in executions(order))

    orchestrator = StepFunctionsOrchestrator(sfn, machine)

    async def started_then_aborted(order: Order) -> Order:
        await orchestrator.start(order)
        (execution,) = executions(order)
        sfn.stop_execution(executionArn=execution["arn"], error="States.TaskFailed")
        return order

    async def input_of(order: Order) -> str | None:
        latest = max(executions(order), key=lambda e: len(e["arn"]))  # <id>-2 after <id>
        described = sfn.describe_execution(executionArn=latest["arn"])
        cid: str | None = json.loads(described["input"])["correlationId"]
        return cid

    yield Subject(
        orchestrator, store, running, started_then_aborted,
        lambda o: len(executions(o)), input_of,
    )  # fmt: skip


async def an_order(subject: Subject) -> Order:
    request = place_request(
        {"requestToken": uuid.uuid4().hex, "userId": "ann",
         "items": [{"productId": "ITEM001", "quantity": 1}]}
    )  # fmt: skip
    lines = price_lines(request, {item.item_id: item for item in DEMO_CATALOGUE})
    return await subject.store.add(new_order(request, lines, ManualClock().now(), None))


async def test_a_started_order_is_under_way(subject: Subject) -> None:
    order = await an_order(subject)
    await subject.orchestrator.start(order)
    assert await subject.under_way(order)
    assert subject.runs(order) == 1


async def test_a_retried_start_of_a_running_order_starts_nothing_more(subject: Subject) -> None:
    order = await an_order(subject)
    await subject.orchestrator.start(order)
    stored = await subject.store.get(order.order_id)  # as a retry would read it
    assert stored is not None
    again = await subject.orchestrator.start(stored)
    assert again.order_id == order.order_id
    assert await subject.under_way(order)
    assert subject.runs(order) == 1


async def test_recovering_an_order_whose_first_run_ended_unfinished_runs_it_again(
    subject: Subject,
) -> None:
    left = await subject.first_run_unfinished(await an_order(subject))
    assert not await subject.under_way(left)  # the first run is over, the order is not
    await subject.orchestrator.start(left)
    assert await subject.under_way(left)
    assert subject.runs(left) == 2


async def test_a_run_carries_the_correlation_id_of_the_request_that_started_it(
    subject: Subject,
) -> None:
    order = await an_order(subject)
    with correlation("req-7"):
        await subject.orchestrator.start(order)
    assert await subject.correlation_of(order) == "req-7"
    left = await subject.first_run_unfinished(await an_order(subject))
    with correlation("recovery-1"):
        await subject.orchestrator.start(left)
    assert await subject.correlation_of(left) == "recovery-1"
