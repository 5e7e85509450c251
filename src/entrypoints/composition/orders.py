"""The orders context: ``ORDERS_TABLE`` and ``INVENTORY_TABLE`` -> DynamoDB, else in memory
(with the demo catalogue); ``PAYMENTS_API_URL`` -> the HTTP payment gateway, else an
in-memory one; ``ORDERS_TOPIC_ARN`` -> SNS events; ``ORDERS_STATE_MACHINE_ARN`` -> the saga
runs on Step Functions, else in-process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from domain.orders.saga import InProcessOrchestrator, OrderSaga
from domain.orders.service import OrderService
from entrypoints.composition.shared import Backend, backend, event_publisher
from ports.orders import Inventory, OrderStore, PaymentGateway, SagaOrchestrator

if TYPE_CHECKING:
    from entrypoints.composition import Composition

READS = (
    "orders_table",
    "inventory_table",
    "payments_api_url",
    "orders_topic_arn",
    "orders_state_machine_arn",
    "orders_recovery_idle_seconds",
    "orders_fault_injection",
)


@dataclass(frozen=True, slots=True)
class OrdersContext:
    service: OrderService
    #: The saga's steps (each also a Step Functions task).
    saga: OrderSaga


def build_orders(root: Composition) -> OrdersContext:
    from adapters.memory.shared import InMemoryEventPublisher

    settings = root.settings
    store, inventory = _order_store(root), _inventory(root)
    events = event_publisher(
        settings.orders_topic_arn, settings, root.clients, InMemoryEventPublisher
    )
    payments = root.overrides.payment_gateway or _payment_gateway(root)
    saga = OrderSaga(store, inventory, payments, events, root.dead_letters, root.clock)
    service = OrderService(
        store,
        inventory,
        root.overrides.saga_orchestrator or _orchestrator(root, saga),
        root.idempotency,
        root.clock,
        fault_injection=settings.orders_fault_injection,
        recovery_idle=timedelta(seconds=settings.orders_recovery_idle_seconds),
    )
    return OrdersContext(service, saga)


def _order_store(root: Composition) -> OrderStore:
    table = root.settings.orders_table
    if backend(table, root.settings) is Backend.AWS:
        from adapters.dynamodb.orders import DynamoDBOrderStore

        assert table
        return DynamoDBOrderStore(root.dynamodb("ordersTable", table), table)
    from adapters.memory.orders import InMemoryOrderStore

    return InMemoryOrderStore()


def _inventory(root: Composition) -> Inventory:
    table = root.settings.inventory_table
    if backend(table, root.settings) is Backend.AWS:
        from adapters.dynamodb.orders import DynamoDBInventory

        assert table
        return DynamoDBInventory(root.dynamodb("inventoryTable", table), table)
    from adapters.memory.orders import DEMO_CATALOGUE, InMemoryInventory

    return InMemoryInventory(DEMO_CATALOGUE)


def _payment_gateway(root: Composition) -> PaymentGateway:
    url = root.settings.payments_api_url
    if backend(url, root.settings) is Backend.AWS:
        from adapters.http.orders import DEFAULT_TIMEOUT, HttpPaymentGateway

        assert url
        return HttpPaymentGateway(root.clients.http(DEFAULT_TIMEOUT), url)
    from adapters.memory.orders import InMemoryPaymentGateway

    return InMemoryPaymentGateway()


def _orchestrator(root: Composition, saga: OrderSaga) -> SagaOrchestrator:
    arn = root.settings.orders_state_machine_arn
    if backend(arn, root.settings) is Backend.AWS:
        from adapters.stepfunctions.orders import StepFunctionsOrchestrator

        assert arn
        return StepFunctionsOrchestrator(root.clients.stepfunctions(), arn)
    return InProcessOrchestrator(saga)
