"""Placing an order is idempotent per (userId, requestToken), on in-memory adapters."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.orders.errors import InvalidOrderError, OrderStoreUnavailableError
from domain.orders.model import OrderStatus, PlaceOrderRequest, RequestedLine
from domain.shared.idempotency import AlreadyInProgressError, IdempotencyConflictError
from entrypoints.http.models.orders import PlaceOrderInput
from tests.support.wire import order, problems
from tests.unit.test_order_saga import Shop, body

pytestmark = pytest.mark.anyio


async def test_a_sequential_retry_returns_the_same_order_and_changes_nothing() -> None:
    shop = Shop()
    service = shop.service()
    first = await service.place(body())
    again = await service.place(body())
    assert again == first
    assert await shop.stock() == 996
    assert len(shop.payments.charges) == 1


async def test_a_failed_order_replays_as_failed() -> None:
    shop = Shop()
    service = shop.service()
    first = await service.place(body(quantity=5000))
    assert first.status is OrderStatus.CANCELLED
    assert await service.place(body(quantity=5000)) == first


async def test_concurrent_duplicates_place_one_order() -> None:
    shop = Shop()
    service = shop.service()
    results = await asyncio.gather(
        *(service.place(body()) for _ in range(20)), return_exceptions=True
    )
    orders = {r.order_id for r in results if not isinstance(r, BaseException)}
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(orders) == 1
    assert all(isinstance(r, AlreadyInProgressError) for r in refused)
    assert await shop.stock() == 996
    assert len(shop.payments.charges) == 1


async def test_the_same_key_with_another_payload_is_a_conflict() -> None:
    shop = Shop()
    service = shop.service()
    await service.place(body())
    for changed in (body(quantity=5), body(comment="another")):
        with pytest.raises(IdempotencyConflictError):
            await service.place(changed)
    assert await shop.stock() == 996


async def test_a_new_token_buys_the_same_products_again() -> None:
    shop = Shop()
    service = shop.service()
    first = await service.place(body("t1"))
    second = await service.place(body("t2"))
    assert first.order_id != second.order_id
    assert await shop.stock() == 992


async def test_after_the_record_expires_the_same_request_still_finds_its_order() -> None:
    shop = Shop()
    service = shop.service()
    first = await service.place(body())
    shop.clock.advance(timedelta(hours=1, seconds=1))
    again = await service.place(body())
    assert again.order_id == first.order_id  # order ids derive from the key: no second order
    assert await shop.stock() == 996
    assert len(shop.payments.charges) == 1


async def test_an_exception_frees_the_key_so_a_retry_runs() -> None:
    shop = Shop()
    service = shop.service()
    shop.orders.crash_before = OrderStatus.ORDER_PLACED
    with pytest.raises(OrderStoreUnavailableError):
        await service.place(body())
    retried = await service.place(body())
    assert retried.status is OrderStatus.COMPLETED
    assert await shop.stock() == 996


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"userId": "u1", "items": [{"productId": "ITEM001", "quantity": 1}]}, "requestToken"),
        ({"requestToken": "t", "items": [{"productId": "ITEM001", "quantity": 1}]}, "userId"),
        ({"requestToken": "t", "userId": "u", "items": []}, "items"),
        ({"requestToken": "t", "userId": "u", "items": [{"productId": "ITEM001", "quantity": 0}]},
         "items[0].quantity"),
        ({"requestToken": "t", "userId": "u", "items": [{"productId": "ITEM001", "quantity": 1.5}]},
         "items[0].quantity"),
        ({"requestToken": "t", "userId": "u", "items": [{"productId": "NOPE", "quantity": 1}]},
         "items[0].productId"),
        ({"requestToken": "t", "userId": "u",
          "items": [{"productId": "ITEM001", "quantity": 1, "price": "2.49"}]}, "items[0].price"),
        ({"requestToken": "t", "userId": "u", "items": [{"productId": "ITEM001", "quantity": 1}],
          "failAtStage": "Shipping"}, "failAtStage"),
        ({"requestToken": "t", "userId": "u", "items": [
            {"productId": "ITEM001", "quantity": 1}, {"productId": "ITEM001", "quantity": 2}]},
         "items[1].productId"),
        ([1, 2], "body"),
    ],
)  # fmt: skip
async def test_invalid_input_is_refused_and_changes_nothing(payload: object, field: str) -> None:
    shop = Shop()
    # Refused by the edge's model, by the request's invariants, or against the catalogue.
    fields = problems(PlaceOrderInput, payload, lambda o: o.command())
    if not fields:
        with pytest.raises(InvalidOrderError) as raised:
            await shop.service().place(order(payload))
        fields = {e.field for e in raised.value.errors}
    assert field in fields
    assert await shop.stock() == 1000
    assert await shop.orders.unfinished(shop.clock.now() + timedelta(days=1)) == []


def test_a_request_keeps_its_invariants_whoever_builds_it() -> None:
    line = RequestedLine("ITEM001", 1)
    with pytest.raises(InvalidOrderError) as raised:
        PlaceOrderRequest("bad token!", "u1", (line, line, RequestedLine("ITEM002", 0)))
    assert {e.field for e in raised.value.errors} == {
        "requestToken", "items[1].productId", "items[2].quantity"
    }  # fmt: skip
