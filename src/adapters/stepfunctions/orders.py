"""Orchestration on AWS Step Functions: the state machine in deploy/orders-saga.asl.json."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from domain.orders.errors import OrchestrationUnavailableError
from domain.orders.model import Order

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.client import SFNClient


class StepFunctionsOrchestrator:
    """SagaOrchestrator that starts one execution per order, named by the order id.

    The name makes starting idempotent: a retried start finds the execution already there.
    The order is returned as it stands (PENDING); the state machine's tasks move it on.
    """

    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    async def start(self, order: Order) -> Order:
        try:
            await asyncio.to_thread(
                self._client.start_execution,
                stateMachineArn=self._arn,
                name=order.order_id,
                input=json.dumps({"orderId": order.order_id}),
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise OrchestrationUnavailableError(
                    "Step Functions refused the execution."
                ) from exc
        except BotoCoreError as exc:
            raise OrchestrationUnavailableError("Step Functions is unreachable.") from exc
        return order
