"""HTTP routes of the orders context."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from domain.orders.model import CURRENCY, Order
from domain.orders.service import OrderService
from entrypoints.http.bodies import json_body
from entrypoints.http.errors import PROBLEM_RESPONSES

_ORDER_EXAMPLE = {
    "requestToken": "9f1c2a7e-order-1",
    "userId": "user-42",
    "items": [{"productId": "ITEM001", "quantity": 2, "price": "2.50"}],
    "comment": "leave at the door",
}


def order_json(order: Order) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orderId": order.order_id,
        "status": order.status.value,
        "userId": order.user_id,
        "items": [
            {
                "productId": line.product_id,
                "quantity": line.quantity,
                "price": format(line.unit_price, "f"),
                "amount": format(line.amount, "f"),
            }
            for line in order.lines
        ],
        "total": format(order.total, "f"),
        "currency": CURRENCY,
        "history": [
            {"status": h.status.value, "at": _time(h), **({"reason": h.reason} if h.reason else {})}
            for h in order.history
        ],
    }
    if order.reason:
        body["reason"] = order.reason
    if order.failed_step:
        body["failedStep"] = order.failed_step.value
    if order.comment is not None:
        body["comment"] = order.comment
    return body


def _time(entry: Any) -> str:
    text: str = entry.at.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def orders_router(service: OrderService) -> APIRouter:
    router = APIRouter(tags=["orders"])

    @router.post(
        "/orders",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"example": _ORDER_EXAMPLE}},
            }
        },
        responses={
            202: {"description": "The saga was handed off (Step Functions); see Location"},
            409: {"description": "Same key with another payload, or the same request in flight"},
            422: PROBLEM_RESPONSES[422],
            503: PROBLEM_RESPONSES[503],
        },
    )
    async def place_order(request: Request) -> JSONResponse:
        """Place an order once per (userId, requestToken); a retry returns the same order."""
        # Numbers are read as Decimal from the JSON text, never through float.
        order = await service.place(await json_body(request, parse_float=Decimal))
        if order.status.terminal:
            return JSONResponse(order_json(order), 201)
        location = f"/orders/{order.order_id}"
        return JSONResponse(order_json(order), 202, headers={"Location": location})

    @router.get("/orders/{order_id}", responses={404: PROBLEM_RESPONSES[404]})
    async def get_order(order_id: str) -> JSONResponse:
        """An order, its status and its history."""
        return JSONResponse(order_json(await service.order(order_id)))

    @router.get("/inventory/{item_id}", responses={404: PROBLEM_RESPONSES[404]})
    async def get_item(item_id: str) -> JSONResponse:
        """An item's stock and price."""
        item = await service.item(item_id)
        return JSONResponse(
            {
                "itemId": item.item_id,
                "itemName": item.name,
                "itemsInStock": item.in_stock,
                "price": format(item.price, "f"),
            }
        )

    return router
