"""Orchestration on AWS Step Functions: the state machine in deploy/orders-saga.asl.json."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from domain.orders.errors import OrchestrationUnavailableError
from domain.orders.model import Order
from domain.shared.correlation import correlation_id

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.client import SFNClient

#: Executions one order may have (its first, then one per recovery after a closed one).
MAX_EXECUTIONS = 20


class StepFunctionsOrchestrator:
    """SagaOrchestrator that runs an order's saga as an execution of the state machine.

    The first execution is named by the order id, which makes starting idempotent: a retried
    start finds it. When that execution has closed without finishing the order (it failed,
    timed out or was aborted, and recovery calls ``start`` again), a fresh execution is
    started, named ``<orderId>-2``, ``-3``, ...; a running one is left to go on. The order is
    returned as it stands; the state machine's tasks move it on. The input is ``{"orderId",
    "correlationId"}``: the current correlation id (or null), which every task carries on.
    """

    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn
        # arn:aws:states:<region>:<account>:stateMachine:<name> -> ...:execution:<name>:
        self._executions = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":"

    async def start(self, order: Order) -> Order:
        for attempt in range(1, MAX_EXECUTIONS + 1):
            name = order.order_id if attempt == 1 else f"{order.order_id}-{attempt}"
            if await self._started(name, order) or await self._running(name):
                return order
        raise OrchestrationUnavailableError(
            f"order {order.order_id} already had {MAX_EXECUTIONS} executions"
        )

    async def _started(self, name: str, order: Order) -> bool:
        """Start the execution ``name``; False when one of that name exists already."""
        try:
            await asyncio.to_thread(
                self._client.start_execution,
                stateMachineArn=self._arn,
                name=name,
                input=json.dumps(
                    {"orderId": order.order_id, "correlationId": correlation_id.get()}
                ),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return False
            raise OrchestrationUnavailableError("Step Functions refused the execution.") from exc
        except BotoCoreError as exc:
            raise OrchestrationUnavailableError("Step Functions is unreachable.") from exc
        return True

    async def _running(self, name: str) -> bool:
        try:
            described = await asyncio.to_thread(
                self._client.describe_execution, executionArn=self._executions + name
            )
        except (BotoCoreError, ClientError) as exc:
            raise OrchestrationUnavailableError("Step Functions is unreachable.") from exc
        return described["status"] in ("RUNNING", "PENDING_REDRIVE")
