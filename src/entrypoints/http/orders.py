"""HTTP routes of the orders context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from domain.orders.model import ITEM
from domain.orders.service import OrderService
from entrypoints.http.edge import EdgeRoute, body_limit
from entrypoints.http.errors import problems
from entrypoints.http.models.orders import ItemBody, OrderBody, PlaceOrderInput

#: 99 lines and a 1,000-character comment fit in a few kilobytes.
ORDER_BODY_BYTES = 64 * 1024
OrderId = Annotated[str, Path(max_length=64, pattern="^[A-Za-z0-9-]{1,64}$")]
ItemId = Annotated[str, Path(pattern=f"^{ITEM.pattern}$", examples=["ITEM001"])]


def orders_router(service: OrderService) -> APIRouter:
    router = APIRouter(tags=["orders"], route_class=EdgeRoute)

    @router.post(
        "/orders",
        status_code=201,
        response_model=OrderBody,
        response_model_exclude_none=True,
        openapi_extra=body_limit(ORDER_BODY_BYTES),
        responses={
            202: {
                "model": OrderBody,
                "description": "Handed to Step Functions: the order's state so far",
                "headers": {
                    "Location": {
                        "required": True,
                        "description": "The order, to read its outcome from",
                        "schema": {"type": "string"},
                    }
                },
            },
            **problems(409, 503),
        },
    )
    async def place_order(order: PlaceOrderInput) -> OrderBody | JSONResponse:
        """Place an order once per (userId, requestToken); a retry returns the same order.
        Prices are the catalogue's: a client price that differs is a 422."""
        placed = await service.place(order.command())
        body = OrderBody.of(placed)
        if placed.status.terminal:
            return body
        content = body.model_dump(mode="json", exclude_none=True)
        return JSONResponse(content, 202, headers={"Location": f"/orders/{placed.order_id}"})

    @router.get(
        "/orders/{order_id}",
        response_model=OrderBody,
        response_model_exclude_none=True,
        responses=problems(404, 503),
    )
    async def get_order(order_id: OrderId) -> OrderBody:
        """An order, its status and its history."""
        return OrderBody.of(await service.order(order_id))

    @router.get("/inventory/{item_id}", response_model=ItemBody, responses=problems(404, 503))
    async def get_item(item_id: ItemId) -> ItemBody:
        """An item's stock and price."""
        return ItemBody.of(await service.item(item_id))

    return router
