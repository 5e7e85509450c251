"""The order routes in process, on the embedded default (fault injection off unless set)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from entrypoints.composition import compose
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio
ORDER = {
    "requestToken": "tok-1",
    "userId": "user-42",
    "items": [{"productId": "ITEM001", "quantity": 2, "price": 2.50}],
    "comment": "door",
}


async def client_for(settings: Settings) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(compose(settings)))
    return httpx.AsyncClient(transport=transport, base_url="http://portside.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(Settings()) as c:
        yield c


async def test_an_order_completes_and_stock_goes_down(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", json=ORDER)
    assert response.status_code == 201
    order = response.json()
    assert order["status"] == "COMPLETED"
    assert order["items"] == [
        {"productId": "ITEM001", "quantity": 2, "price": "2.50", "amount": "5.00"}
    ]
    assert (order["total"], order["userId"], order["comment"]) == ("5.00", "user-42", "door")
    assert [h["status"] for h in order["history"]][-1] == "COMPLETED"
    assert (await client.get(f"/orders/{order['orderId']}")).json() == order
    stock = (await client.get("/inventory/ITEM001")).json()
    assert stock == {"itemId": "ITEM001", "itemName": "Soap", "itemsInStock": 998, "price": "2.50"}


async def test_a_replay_returns_the_same_order(client: httpx.AsyncClient) -> None:
    first = await client.post("/orders", json=ORDER)
    again = await client.post("/orders", json=ORDER)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert (await client.get("/inventory/ITEM001")).json()["itemsInStock"] == 998


async def test_another_payload_with_the_same_token_is_409(client: httpx.AsyncClient) -> None:
    await client.post("/orders", json=ORDER)
    response = await client.post("/orders", json={**ORDER, "comment": "changed"})
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/idempotency-key-reused"


async def test_fault_injection_is_ignored_unless_enabled(client: httpx.AsyncClient) -> None:
    off = await client.post("/orders", json={**ORDER, "failAtStage": "MakePayment"})
    assert off.json()["status"] == "COMPLETED"
    async with await client_for(Settings(orders_fault_injection=True)) as on:
        failed = (await on.post("/orders", json={**ORDER, "failAtStage": "MakePayment"})).json()
        assert (failed["status"], failed["failedStep"]) == ("CANCELLED", "MakePayment")
        assert failed["reason"] == "INJECTED_FAILURE"
        assert (await on.get("/inventory/ITEM001")).json()["itemsInStock"] == 1000


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path", "content", "headers", "status", "problem"),
    [
        ("POST", "/orders", b"{not json", JSON, 422, "invalid-json"),
        ("POST", "/orders", b'{"userId": "u"}', JSON, 422, "invalid-input"),
        ("POST", "/orders", b'{"userId": "u"}', {"content-type": "text/plain"}, 415,
         "unsupported-media-type"),
        ("GET", "/orders/unknown", b"", {}, 404, "order-not-found"),
        ("GET", "/inventory/ITEM999", b"", {}, 404, "item-not-found"),
    ],
)  # fmt: skip
async def test_errors_use_the_one_shape(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    content: bytes,
    headers: dict[str, str],
    status: int,
    problem: str,
) -> None:
    response = await client.request(method, path, content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["type"] == f"/problems/{problem}"
