"""Lambda handlers of the orders context: the Step Functions tasks and the recovery schedule.

Each task takes ``{"orderId", "correlationId"}`` (plus ``step`` and ``error`` for FailOrder),
runs one idempotent domain step on the order as it is stored, under the correlation id of the
request that started the execution, and returns ``{"orderId", "status", "correlationId"}``;
the state machine (deploy/orders-saga.asl.json) routes on ``status``. A forward step acts
only on an order in the status it expects, so a Step Functions retry of a step that already
went through changes nothing. ``TASK_HANDLERS`` is the one table of placeholder -> handler.
The composition is built on the first invocation, once per execution environment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from domain.orders.model import Order, OrderStatus, Step
from domain.orders.service import OrderService
from domain.shared.correlation import correlation, safe_correlation_id
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def task_handlers(composition: Composition, run: Run) -> dict[str, Handler]:
    """The state machine's task resources (placeholder names) mapped to their handlers."""
    # Step Functions retries each task (deploy/orders-saga.asl.json): a step tries once.
    saga, orders = composition.order_saga.as_task(), composition.orders

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

    def correlated_task(handler: Handler) -> Handler:
        def task(event: dict[str, Any], context: Any) -> dict[str, Any]:
            cid = safe_correlation_id(event.get("correlationId"))  # null when missing or unsafe
            with correlation(cid):
                answer = handler(event, context)
            return {**answer, "correlationId": cid}  # for the next step

        return task

    tasks: dict[str, Handler] = {
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
    return {placeholder: correlated_task(handler) for placeholder, handler in tasks.items()}


class _Environment(NamedTuple):
    tasks: dict[str, Handler]
    orders: OrderService
    run: Run


def _environment(composition: Composition, run: Run) -> _Environment:
    return _Environment(task_handlers(composition, run), composition.orders, run)


_get = per_environment(_environment)


def _task(placeholder: str) -> Handler:
    @correlated
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return _get().tasks[placeholder](event, context)

    return handler


place_order_handler = _task("PlaceOrderFunctionArn")
update_inventory_handler = _task("UpdateInventoryFunctionArn")
make_payment_handler = _task("MakePaymentFunctionArn")
complete_order_handler = _task("CompleteOrderFunctionArn")
fail_order_handler = _task("FailOrderFunctionArn")
refund_payment_handler = _task("RefundPaymentFunctionArn")
release_inventory_handler = _task("ReleaseInventoryFunctionArn")
cancel_order_handler = _task("CancelOrderFunctionArn")
needs_attention_handler = _task("NeedsAttentionFunctionArn")
#: The state machine's placeholders and the handler serving each.
TASK_HANDLERS = {
    "PlaceOrderFunctionArn": place_order_handler,
    "UpdateInventoryFunctionArn": update_inventory_handler,
    "MakePaymentFunctionArn": make_payment_handler,
    "CompleteOrderFunctionArn": complete_order_handler,
    "FailOrderFunctionArn": fail_order_handler,
    "RefundPaymentFunctionArn": refund_payment_handler,
    "ReleaseInventoryFunctionArn": release_inventory_handler,
    "CancelOrderFunctionArn": cancel_order_handler,
    "NeedsAttentionFunctionArn": needs_attention_handler,
}


@correlated
def recover_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled (e.g. every 5 minutes): resume sagas a crash left half-done."""
    environment = _get()
    recovered = environment.run(environment.orders.recover())
    return {"recovered": [{"orderId": o.order_id, "status": o.status.value} for o in recovered]}
