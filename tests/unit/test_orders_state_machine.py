"""The Step Functions state machine, walked by a small ASL interpreter calling the real handlers.

The interpreter follows the definition in deploy/orders-saga.asl.json: Task (Parameters,
Retry by MaxAttempts, Catch with ResultPath), Choice (StringEquals), Succeed and Fail. The
handlers are entrypoints.aws_lambda.orders' own, on in-memory adapters.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.orders import InMemoryPaymentGateway
from domain.orders.model import Order
from domain.shared.correlation import correlation_id
from entrypoints.aws_lambda import orders as lambda_orders
from entrypoints.aws_lambda.orders import Handler, task_handlers
from entrypoints.composition import Composition, Overrides, compose
from entrypoints.settings import Settings
from tests.support.wire import order as wire_order

ROOT = Path(__file__).parents[2]
ASL = json.loads((ROOT / "deploy" / "orders-saga.asl.json").read_text())
PLACEHOLDER = re.compile(r"^\$\{(\w+)\}$")


class Interpreter:
    def __init__(self, handlers: dict[str, Handler], failing: dict[str, int] | None = None):
        self.handlers = handlers
        self.failing = dict(failing or {})  # state name -> how many invocations raise
        self.visited: list[str] = []

    def run(self, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = ASL["StartAt"]
        while True:
            state = ASL["States"][name]
            self.visited.append(name)
            kind = state["Type"]
            if kind in ("Succeed", "Fail"):
                return kind, data
            if kind == "Choice":
                name = next(
                    (c["Next"] for c in state["Choices"]
                     if data.get(c["Variable"][2:]) == c["StringEquals"]),
                    state["Default"],
                )  # fmt: skip
                continue
            assert kind == "Task"
            try:
                data = self.invoke(name, state, data)
            except RuntimeError as exc:
                (catcher,) = state["Catch"]
                assert catcher["ResultPath"] == "$.error"
                data = {**data, "error": {"Error": "RuntimeError", "Cause": str(exc)}}
                name = catcher["Next"]
                continue
            name = state["Next"]

    def invoke(self, name: str, state: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        params = self.parameters(state.get("Parameters"), data)
        handler = self.handlers[PLACEHOLDER.match(state["Resource"])[1]]  # type: ignore[index]
        attempts = 1 + sum(r["MaxAttempts"] for r in state.get("Retry", []))
        for attempt in range(attempts):
            if self.failing.get(name, 0) > 0:
                self.failing[name] -= 1
                if attempt == attempts - 1:
                    raise RuntimeError(f"{name} kept failing")
                continue
            return handler(params, None)
        raise AssertionError("unreachable")

    @staticmethod
    def parameters(template: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
        if template is None:
            return data
        return {
            key[:-2] if key.endswith(".$") else key: (
                data[value[2:]] if key.endswith(".$") else value
            )
            for key, value in template.items()
        }


def execution(order_id: str, correlation_id: str | None = None) -> dict[str, Any]:
    """The input StepFunctionsOrchestrator starts an execution with."""
    return {"orderId": order_id, "correlationId": correlation_id}


class HandOff:
    """SagaOrchestrator that only hands the order off, as Step Functions would."""

    async def start(self, order: Order) -> Order:
        return order


@pytest.fixture
def shop() -> Iterator[tuple[dict[str, Handler], Composition, asyncio.AbstractEventLoop]]:
    services = compose(
        Settings(orders_fault_injection=True),
        Overrides(
            payment_gateway=InMemoryPaymentGateway(decline_over=Decimal("100")),
            saga_orchestrator=HandOff(),
        ),
    )
    loop = asyncio.new_event_loop()
    yield task_handlers(services, loop.run_until_complete), services, loop
    loop.close()


def place(
    services: Composition,
    loop: asyncio.AbstractEventLoop,
    token: str,
    quantity: int = 2,
    stage: str | None = None,
) -> str:
    """POST /orders as with Step Functions: the order is stored PENDING and handed off."""
    item = {"productId": "ITEM001", "quantity": quantity}
    body: dict[str, Any] = {"requestToken": token, "userId": "u1", "items": [item]}
    if stage:
        body["failAtStage"] = stage
    order = loop.run_until_complete(services.orders.place(wire_order(body)))
    assert order.status.value == "PENDING"
    return order.order_id


def order_and_stock(
    services: Composition, loop: asyncio.AbstractEventLoop, order_id: str
) -> tuple[str, int]:
    order = loop.run_until_complete(services.orders.order(order_id))
    stock = loop.run_until_complete(services.orders.item("ITEM001")).in_stock
    return order.status.value, stock


def test_every_placeholder_maps_to_an_existing_handler_and_is_documented() -> None:
    placeholders = {
        PLACEHOLDER.match(s["Resource"])[1]  # type: ignore[index]
        for s in ASL["States"].values() if s["Type"] == "Task"
    }  # fmt: skip
    assert placeholders == set(lambda_orders.TASK_HANDLERS)
    docs = (ROOT / "docs" / "orders.md").read_text()
    for placeholder, handler in lambda_orders.TASK_HANDLERS.items():
        assert callable(handler)
        module_name = next(
            n for n, v in vars(lambda_orders).items() if v is handler and n.endswith("_handler")
        )
        assert f"`${{{placeholder}}}` | `entrypoints.aws_lambda.orders.{module_name}`" in docs


def test_a_good_order_completes(shop: Any) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, "sf-ok")
    end, _ = Interpreter(handlers).run(execution(order_id))
    assert end == "Succeed"
    assert order_and_stock(services, loop, order_id) == ("COMPLETED", 998)


@pytest.mark.parametrize(
    ("stage", "path"),
    [
        ("PlaceOrder", ["PlaceOrder", "PlaceOrderOutcome"]),
        ("UpdateInventory", ["PlaceOrder", "PlaceOrderOutcome", "UpdateInventory",
                             "UpdateInventoryOutcome"]),
        ("MakePayment", ["PlaceOrder", "PlaceOrderOutcome", "UpdateInventory",
                         "UpdateInventoryOutcome", "MakePayment", "MakePaymentOutcome"]),
    ],
)  # fmt: skip
def test_a_business_failure_at_each_step_runs_every_compensation(
    shop: Any, stage: str, path: list[str]
) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, f"sf-{stage}", stage=stage)
    interpreter = Interpreter(handlers)
    end, _ = interpreter.run(execution(order_id))
    compensations = ["RefundPayment", "ReleaseInventory", "CancelOrder", "OrderCancelled"]
    assert interpreter.visited == path + compensations
    assert end == "Fail"
    assert order_and_stock(services, loop, order_id) == ("CANCELLED", 1000)


def test_a_declined_payment_is_compensated(shop: Any) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, "sf-big", quantity=50)  # 125.00 > the 100 limit
    interpreter = Interpreter(handlers)
    assert interpreter.run(execution(order_id))[0] == "Fail"
    assert interpreter.visited[-4:] == [
        "RefundPayment",
        "ReleaseInventory",
        "CancelOrder",
        "OrderCancelled",
    ]
    assert order_and_stock(services, loop, order_id) == ("CANCELLED", 1000)


@pytest.mark.parametrize("state", ["PlaceOrder", "UpdateInventory", "MakePayment"])
def test_an_error_that_outlives_its_retries_is_caught_and_compensated(
    shop: Any, state: str
) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, f"sf-err-{state}")
    interpreter = Interpreter(handlers, failing={state: 99})
    assert interpreter.run(execution(order_id))[0] == "Fail"
    assert interpreter.visited[-5:] == [
        f"FailAt{state}", "RefundPayment", "ReleaseInventory", "CancelOrder", "OrderCancelled",
    ]  # fmt: skip
    order = loop.run_until_complete(services.orders.order(order_id))
    assert (order.status.value, order.failed_step.value) == ("CANCELLED", state)
    assert order.reason == "INFRASTRUCTURE_ERROR: RuntimeError"
    assert order_and_stock(services, loop, order_id)[1] == 1000


def test_a_retried_step_that_already_went_through_changes_nothing(shop: Any) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, "sf-twice")
    for name in (
        "PlaceOrderFunctionArn",
        "UpdateInventoryFunctionArn",
        "UpdateInventoryFunctionArn",
    ):
        handlers[name]({"orderId": order_id}, None)
    assert order_and_stock(services, loop, order_id) == ("INVENTORY_UPDATED", 998)


def test_a_compensation_that_keeps_failing_parks_the_order(shop: Any) -> None:
    handlers, services, loop = shop
    order_id = place(services, loop, "sf-stuck", stage="MakePayment")
    interpreter = Interpreter(handlers, failing={"ReleaseInventory": 99})
    assert interpreter.run(execution(order_id))[0] == "Fail"
    assert interpreter.visited[-3:] == ["ReleaseInventory", "NeedsAttention", "OrderNeedsAttention"]
    assert order_and_stock(services, loop, order_id)[0] == "NEEDS_ATTENTION"


def test_every_step_runs_under_the_correlation_id_of_the_request_that_started_it() -> None:
    charged_under: list[str | None] = []

    class RecordingGateway(InMemoryPaymentGateway):
        async def charge(self, *args: Any, **kwargs: Any) -> Any:
            charged_under.append(correlation_id.get())
            return await super().charge(*args, **kwargs)

    services = compose(
        Settings(), Overrides(payment_gateway=RecordingGateway(), saga_orchestrator=HandOff())
    )
    loop = asyncio.new_event_loop()
    try:
        order_id = place(services, loop, "sf-correlated")
        handlers = task_handlers(services, loop.run_until_complete)
        end, data = Interpreter(handlers).run(execution(order_id, "req-abc"))
        assert (end, data["correlationId"]) == ("Succeed", "req-abc")
        assert charged_under == ["req-abc"]
        assert correlation_id.get() is None  # set for each step only
    finally:
        loop.close()
