"""The shared DynamoDB transaction call: cancellation reasons, and conflicts tried again."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from adapters.dynamodb.tables import TRANSACT_RETRY, transact
from domain.shared.errors import UnavailableError

pytestmark = pytest.mark.anyio

ACTIONS = [
    {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "a"}}, "ConditionExpression": "x"}},
    {"Delete": {"TableName": "t", "Key": {"PK": {"S": "b"}}}},
]


class StoreDown(UnavailableError):
    code = "store-down"


def client() -> tuple[Any, Stubber]:
    dynamodb = boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        endpoint_url="http://127.0.0.1:9",  # never called: the stubber answers
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return dynamodb, Stubber(dynamodb)


def cancelled(stubber: Stubber, *codes: str) -> None:
    stubber.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        modeled_fields={"CancellationReasons": [{"Code": code} for code in codes]},
    )


async def test_an_applied_transaction_has_no_reasons() -> None:
    dynamodb, stubber = client()
    stubber.add_response("transact_write_items", {})
    with stubber:
        assert await transact(dynamodb, StoreDown, "t", ACTIONS) == []


async def test_a_failed_condition_comes_back_as_reasons() -> None:
    dynamodb, stubber = client()
    cancelled(stubber, "ConditionalCheckFailed", "None")
    with stubber:
        reasons = await transact(dynamodb, StoreDown, "t", ACTIONS)
    assert reasons == ["ConditionalCheckFailed", "None"]


async def test_a_conflict_is_tried_again() -> None:
    dynamodb, stubber = client()
    cancelled(stubber, "None", "TransactionConflict")
    cancelled(stubber, "None", "TransactionConflict")
    stubber.add_response("transact_write_items", {})
    with stubber:
        assert await transact(dynamodb, StoreDown, "t", ACTIONS) == []
    stubber.assert_no_pending_responses()


async def test_a_lasting_conflict_is_unavailable() -> None:
    dynamodb, stubber = client()
    for _ in range(TRANSACT_RETRY.attempts):
        cancelled(stubber, "TransactionConflict", "None")
    with stubber, pytest.raises(StoreDown):
        await transact(dynamodb, StoreDown, "t", ACTIONS)
    stubber.assert_no_pending_responses()


async def test_other_errors_are_unavailable() -> None:
    dynamodb, stubber = client()
    stubber.add_client_error("transact_write_items", service_error_code="ValidationException")
    with stubber, pytest.raises(StoreDown):
        await transact(dynamodb, StoreDown, "t", ACTIONS)
