"""Wire models of the trivia market: wallets, grants and the quiz marketplace."""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import Field

from domain.trivia.market import MAX_PRICE, MAX_REQUEST_TOKEN, Grant, Listing, coins
from entrypoints.http.models.shared import NOT_BLANK, ExactDecimal, RequestModel, ResponseModel
from entrypoints.http.models.trivia import QuizId

#: Listing ids: 32 hexadecimal digits.
LISTING_ID = "[0-9a-f]{32}"
Coins = Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]{2}$", examples=["200.00"])]
Price = Annotated[
    Decimal,
    ExactDecimal(
        "Coins, more than 0 and at most 100000.00, in whole cents.",
        string=r"[0-9]{1,6}(\.[0-9]{1,2})?",
        minimum=Decimal(0),
        maximum=MAX_PRICE,
        exclusive=True,
    ),
]


class GrantInput(RequestModel):
    request_token: Annotated[
        str,
        Field(
            max_length=MAX_REQUEST_TOKEN,
            pattern=NOT_BLANK,
            description="The client's key for this request: a retry with it replays the answer.",
        ),
    ]


class ListingInput(RequestModel):
    quiz_id: QuizId
    price: Price


class WalletBody(ResponseModel):
    balance: Coins


class GrantBody(ResponseModel):
    day: str = Field(description="The UTC day of the grant (ISO 8601).")
    granted: Coins
    balance: Coins

    @classmethod
    def of(cls, grant: Grant) -> Self:
        return cls(day=grant.day, granted=coins(grant.amount), balance=coins(grant.balance))


class ListingBody(ResponseModel):
    listing_id: str
    quiz_id: str
    price: Coins
    seller: str
    name: str
    category: str
    question_count: int
    listed_at: int = Field(description="Epoch milliseconds.")

    @classmethod
    def of(cls, listing: Listing) -> Self:
        return cls(
            listing_id=listing.listing_id,
            quiz_id=listing.quiz_id,
            price=coins(listing.price),
            seller=listing.seller,
            name=listing.name,
            category=listing.category,
            question_count=listing.question_count,
            listed_at=listing.listed_at,
        )


class MarketplaceBody(ResponseModel):
    listings: list[ListingBody]
    cursor: str | None = Field(description="The next page's cursor; null on the last page.")


class PurchaseBody(ResponseModel):
    quiz_id: str = Field(description="The buyer's own copy.")
    balance: Coins
