"""Lambda handlers of the orders context: the Step Functions tasks and the recovery schedule.

Each task takes ``{"orderId": ...}`` (plus ``step`` and ``error`` for FailOrder), runs one
idempotent domain step on the order as it is stored, and returns ``{"orderId", "status"}``;
the state machine (deploy/orders-saga.asl.json) routes on ``status``. A forward step acts
only on an order in the status it expects, so a Step Functions retry of a step that already
went through changes nothing. ``TASK_HANDLERS`` is the one table of placeholder -> handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from domain.orders.model import Order, OrderStatus, Step
from entrypoints.bootstrap import Services, bootstrap

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def task_handlers(services: Services, run: Callable[[Awaitable[Any]], Any]) -> dict[str, Handler]:
    """The state machine's task resources (placeholder names) mapped to their handlers."""
    saga, orders = services.order_saga, services.orders

    def load(event: dict[str, Any]) -> Order:
        order: Order = run(orders.order(event["orderId"]))
        return order

    def answer(order: Order) -> dict[str, Any]:
        return {"orderId": order.order_id, "status": order.status.value}

    def forward(expected: OrderStatus, step: Callable[[Order], Awaitable[Order]]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            order = load(event)
            return answer(run(step(order)) if order.status is expected else order)

        return handler

    def compensation(step: Callable[[Order], Awaitable[Order]]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            return answer(run(step(load(event))))

        return handler

    def fail_order(event: dict[str, Any], context: Any) -> dict[str, Any]:
        error = event.get("error") or {}
        reason = f"INFRASTRUCTURE_ERROR: {error.get('Error', 'unknown')}"
        return answer(run(saga.fail_order(load(event), Step(event["step"]), reason)))

    def needs_attention(event: dict[str, Any], context: Any) -> dict[str, Any]:
        error = event.get("error") or {}
        cause = f"{error.get('Error', 'unknown')}: {error.get('Cause', '')}"[:1000]
        return answer(run(saga.needs_attention(load(event), "a compensation task", cause)))

    return {
        "PlaceOrderFunctionArn": forward(OrderStatus.PENDING, saga.place_order),
        "UpdateInventoryFunctionArn": forward(OrderStatus.ORDER_PLACED, saga.update_inventory),
        "MakePaymentFunctionArn": forward(OrderStatus.INVENTORY_UPDATED, saga.make_payment),
        "CompleteOrderFunctionArn": forward(OrderStatus.PAYMENT_COMPLETED, saga.complete),
        "FailOrderFunctionArn": fail_order,
        "RefundPaymentFunctionArn": compensation(saga.refund_payment),
        "ReleaseInventoryFunctionArn": compensation(saga.release_inventory),
        "CancelOrderFunctionArn": compensation(saga.cancel_order),
        "NeedsAttentionFunctionArn": needs_attention,
    }


# One event loop per execution environment: the clients built at module scope bind to it.
_loop = asyncio.new_event_loop()
_services = bootstrap()
TASK_HANDLERS = task_handlers(_services, _loop.run_until_complete)

place_order_handler = TASK_HANDLERS["PlaceOrderFunctionArn"]
update_inventory_handler = TASK_HANDLERS["UpdateInventoryFunctionArn"]
make_payment_handler = TASK_HANDLERS["MakePaymentFunctionArn"]
complete_order_handler = TASK_HANDLERS["CompleteOrderFunctionArn"]
fail_order_handler = TASK_HANDLERS["FailOrderFunctionArn"]
refund_payment_handler = TASK_HANDLERS["RefundPaymentFunctionArn"]
release_inventory_handler = TASK_HANDLERS["ReleaseInventoryFunctionArn"]
cancel_order_handler = TASK_HANDLERS["CancelOrderFunctionArn"]
needs_attention_handler = TASK_HANDLERS["NeedsAttentionFunctionArn"]


def recover_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled (e.g. every 5 minutes): resume sagas a crash left half-done."""
    recovered = _loop.run_until_complete(_services.orders.recover())
    return {"recovered": [{"orderId": o.order_id, "status": o.status.value} for o in recovered]}
