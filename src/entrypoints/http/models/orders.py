"""Wire models of the orders context."""

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import Field

from domain.orders.model import (
    CURRENCY,
    ITEM,
    MAX_COMMENT,
    MAX_LINES,
    MAX_PRICE,
    MAX_QUANTITY,
    TOKEN,
    USER,
    CatalogueItem,
    Order,
    OrderStatus,
    PlaceOrderRequest,
    RequestedLine,
    Step,
)
from entrypoints.http.models.shared import (
    WHOLE,
    ExactDecimal,
    RequestModel,
    ResponseModel,
    iso_millis,
)

ClientPrice = Annotated[
    Decimal,
    ExactDecimal(
        "The price the client saw (EUR); it must equal the catalogue's, which is charged.",
        string=r"[0-9]{1,10}(\.[0-9]{1,10})?",
        minimum=Decimal(0),
        maximum=MAX_PRICE,
    ),
]
Stage = Literal["None", "", "PlaceOrder", "UpdateInventory", "MakePayment"]


class OrderItemInput(RequestModel):
    product_id: Annotated[str, Field(pattern=f"^{ITEM.pattern}$", examples=["ITEM001"])]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY), WHOLE]
    price: ClientPrice | None = None


class PlaceOrderInput(RequestModel):
    """An order; idempotent per (``userId``, ``requestToken``): a retry returns the same
    order, another payload under the same pair is a 409."""

    request_token: Annotated[
        str, Field(pattern=f"^{TOKEN.pattern}$", examples=["9f1c2a7e-order-1"])
    ]
    user_id: Annotated[str, Field(pattern=f"^{USER.pattern}$", examples=["user-42"])]
    items: Annotated[
        list[OrderItemInput],
        Field(min_length=1, max_length=MAX_LINES, description="Each product at most once."),
    ]
    comment: Annotated[str, Field(max_length=MAX_COMMENT)] | None = None
    fail_at_stage: Stage | None = Field(
        None, description="Fail on purpose at this step (honoured with ORDERS_FAULT_INJECTION)."
    )

    def command(self) -> PlaceOrderRequest:
        stage = self.fail_at_stage
        return PlaceOrderRequest(
            self.request_token,
            self.user_id,
            tuple(RequestedLine(i.product_id, i.quantity, i.price) for i in self.items),
            self.comment,
            None if stage in (None, "None", "") else Step(stage),
        )


class OrderLineBody(ResponseModel):
    product_id: str
    quantity: int
    price: str = Field(description="The catalogue's unit price (EUR), as a decimal string.")
    amount: str


class HistoryEntryBody(ResponseModel):
    status: OrderStatus
    at: str = Field(description="ISO 8601, UTC, milliseconds")
    reason: str | None = None


class OrderBody(ResponseModel):
    order_id: str
    status: OrderStatus
    user_id: str
    items: list[OrderLineBody]
    total: str
    currency: str = Field(examples=[CURRENCY])
    history: list[HistoryEntryBody]
    reason: str | None = None
    failed_step: Step | None = None
    comment: str | None = None

    @classmethod
    def of(cls, order: Order) -> Self:
        return cls(
            order_id=order.order_id,
            status=order.status,
            user_id=order.user_id,
            items=[
                OrderLineBody(
                    product_id=line.product_id,
                    quantity=line.quantity,
                    price=format(line.unit_price, "f"),
                    amount=format(line.amount, "f"),
                )
                for line in order.lines
            ],
            total=format(order.total, "f"),
            currency=CURRENCY,
            history=[
                HistoryEntryBody(status=h.status, at=iso_millis(h.at), reason=h.reason or None)
                for h in order.history
            ],
            reason=order.reason or None,
            failed_step=order.failed_step,
            comment=order.comment,
        )


class ItemBody(ResponseModel):
    item_id: str
    item_name: str
    items_in_stock: int
    price: str

    @classmethod
    def of(cls, item: CatalogueItem) -> Self:
        return cls(
            item_id=item.item_id,
            item_name=item.name,
            items_in_stock=item.in_stock,
            price=format(item.price, "f"),
        )
