"""Trivia wallets and marketplace rules, on in-memory adapters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.shared import InMemoryEventPublisher, InMemoryIdempotencyStore
from adapters.memory.trivia import (
    InMemoryMarketplace,
    InMemoryPlayLog,
    InMemoryProgressStore,
    InMemoryQuizStore,
    InMemoryWalletStore,
    demo_quizzes,
)
from domain.leaderboards.service import LeaderboardService
from domain.trivia.errors import (
    GrantAlreadyClaimedError,
    InsufficientBalanceError,
    InvalidGrantError,
    InvalidListingError,
    ListingNotFoundError,
    ListingUnavailableError,
    NotListingSellerError,
    NotQuizOwnerError,
    OwnListingError,
    PurchasedCopyError,
    QuizListedError,
    QuizNotFoundError,
    ResaleNotAllowedError,
)
from domain.trivia.market import checked_price, checked_request_token, coins
from domain.trivia.service import MarketService, TriviaService
from entrypoints.http.models.market import GrantInput, ListingInput
from tests.support.fakes import ManualClock
from tests.support.wire import edge, problems, quiz, responses

pytestmark = pytest.mark.anyio

RAW_QUIZ: dict[str, Any] = {
    "name": "Rivers",
    "category": "geography",
    "questions": [
        {"text": "Longest river?", "options": ["Nile", "Rhine"], "correct": 0},
        {"text": "River through Vienna?", "answer": "Danube"},
    ],
}
QUIZ = quiz(RAW_QUIZ)


class Game:
    """Both trivia services over one set of in-memory stores, as the composition root
    wires them."""

    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
        self.quizzes = InMemoryQuizStore(demo_quizzes())
        self.wallets = InMemoryWalletStore()
        self.marketplace = InMemoryMarketplace(self.quizzes, self.wallets)
        self.market = MarketService(
            self.quizzes, self.wallets, self.marketplace, InMemoryIdempotencyStore(), self.clock
        )
        self.trivia = TriviaService(
            self.quizzes,
            InMemoryPlayLog(),
            InMemoryProgressStore(),
            LeaderboardService(InMemoryLeaderboardStore(), self.clock),
            InMemoryEventPublisher(),
            self.clock,
            self.marketplace,
        )
        self._tokens = 0

    async def grant(self, player: str) -> Decimal:
        self._tokens += 1
        return (await self.market.grant(player, f"t{self._tokens}")).balance

    async def listed(self, seller: str = "ann", price: str = "50.00") -> tuple[str, str]:
        """A new quiz of ``seller`` on sale: (quiz id, listing id)."""
        quiz = await self.trivia.create(seller, QUIZ)
        listing = await self.market.list_quiz(seller, quiz.quiz_id, Decimal(price))
        return quiz.quiz_id, listing.listing_id


# -- wallet ---------------------------------------------------------------------------------


async def test_a_new_wallet_is_empty_and_a_grant_adds_200() -> None:
    game = Game()
    assert await game.market.balance("bob") == Decimal("0")
    granted = await game.market.grant("bob", "r1")
    assert (granted.day, granted.amount, granted.balance) == (
        "2026-11-23", Decimal("200.00"), Decimal("200.00"),
    )  # fmt: skip
    assert await game.market.balance("bob") == Decimal("200.00")
    assert coins(await game.market.balance("bob")) == "200.00"


async def test_a_second_grant_the_same_utc_day_is_refused_and_the_next_day_allowed() -> None:
    game = Game()
    await game.market.grant("bob", "r1")
    with pytest.raises(GrantAlreadyClaimedError):
        await game.market.grant("bob", "r2")
    assert await game.market.balance("bob") == Decimal("200.00")
    await game.market.grant("ann", "r2")  # other players are not affected
    game.clock.advance(timedelta(minutes=1))  # 00:00 UTC: a new day
    assert (await game.market.grant("bob", "r3")).day == "2026-11-24"
    assert await game.market.balance("bob") == Decimal("400.00")


async def test_a_retried_grant_replays_instead_of_granting_twice() -> None:
    game = Game()
    first = await game.market.grant("bob", "r1")
    game.clock.advance(timedelta(minutes=1))  # even on the next day, the same request
    again = await game.market.grant("bob", "r1")
    assert again == first
    assert await game.market.balance("bob") == Decimal("200.00")
    # The token belongs to bob's request: ann's request with the same token is her own.
    assert (await game.market.grant("ann", "r1")).balance == Decimal("200")


async def test_concurrent_retries_of_one_grant_grant_once() -> None:
    game = Game()
    outcomes = await asyncio.gather(
        *(game.market.grant("bob", "r1") for _ in range(10)),
        return_exceptions=True,
    )
    assert await game.market.balance("bob") == Decimal("200.00")
    assert any(not isinstance(o, BaseException) for o in outcomes)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "requestToken"),
        ({"requestToken": ""}, "requestToken"),
        ({"requestToken": "  "}, "requestToken"),
        ({"requestToken": 5}, "requestToken"),
        ({"requestToken": "x" * 129}, "requestToken"),
        ([], "body"),
        ("x", "body"),
    ],
)
def test_a_grant_needs_a_request_token(body: Any, field: str) -> None:
    assert problems(GrantInput, body, lambda g: checked_request_token(g.request_token)) == {field}


async def test_the_domain_refuses_a_blank_request_token_whoever_sends_it() -> None:
    game = Game()
    with pytest.raises(InvalidGrantError) as exc:
        await game.market.grant("bob", " ")
    assert [e.field for e in exc.value.errors] == ["requestToken"]
    assert await game.market.balance("bob") == 0


# -- listings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "expected"),
    [("50", "50.00"), ("0.5", "0.50"), (12.3, "12.30"), (7, "7.00"), ("100000.00", "100000.00")],
)
def test_prices_are_exact_coins(price: object, expected: str) -> None:
    listing = edge(ListingInput, {"quizId": "demo-1", "price": price})
    assert coins(checked_price(listing.price)) == expected


@pytest.mark.parametrize(
    "price",
    [0, "0", -1, "-0.01", "0.001", 0.001, "100000.01", "NaN", "Infinity", "1e3", True, None],
)
def test_bad_prices_name_the_field(price: object) -> None:
    raw = {"quizId": "demo-1", "price": price}
    assert problems(ListingInput, raw, lambda listing: checked_price(listing.price)) == {"price"}


async def test_the_domain_refuses_a_price_in_fractions_of_a_cent_whoever_sends_it() -> None:
    game = Game()
    made = await game.trivia.create("ann", QUIZ)
    with pytest.raises(InvalidListingError):
        await game.market.list_quiz("ann", made.quiz_id, Decimal("0.001"))


async def test_an_owner_lists_an_original_quiz_once() -> None:
    game = Game()
    quiz_id, listing_id = await game.listed("ann", "50")
    listing = await game.market.listing(listing_id)
    assert (listing.quiz_id, listing.seller, listing.price) == (quiz_id, "ann", Decimal("50.00"))
    assert (listing.name, listing.category, listing.question_count) == ("Rivers", "geography", 2)
    with pytest.raises(QuizListedError):
        await game.market.list_quiz("ann", quiz_id, Decimal("60"))


async def test_only_the_owner_lists_and_only_existing_quizzes() -> None:
    game = Game()
    quiz = await game.trivia.create("ann", QUIZ)
    with pytest.raises(NotQuizOwnerError):
        await game.market.list_quiz("bob", quiz.quiz_id, Decimal("5"))
    with pytest.raises(QuizNotFoundError):
        await game.market.list_quiz("ann", "nope", Decimal("5"))
    assert (await game.market.listings(None))[0] == []


async def test_the_marketplace_pages_newest_first() -> None:
    game = Game()
    ids = []
    for _ in range(5):
        ids.append((await game.listed())[1])
        game.clock.advance(timedelta(seconds=1))
    first, cursor = await game.market.listings(None, limit=2)
    second, cursor2 = await game.market.listings(cursor, limit=2)
    third, cursor3 = await game.market.listings(cursor2, limit=2)
    assert [x.listing_id for x in first + second + third] == ids[::-1]
    assert cursor3 is None


async def test_only_the_seller_withdraws_a_listing() -> None:
    game = Game()
    quiz_id, listing_id = await game.listed("ann")
    with pytest.raises(NotListingSellerError):
        await game.market.withdraw("bob", listing_id)
    await game.market.withdraw("ann", listing_id)
    with pytest.raises(ListingNotFoundError):
        await game.market.listing(listing_id)
    # Withdrawn: the quiz can be listed again.
    await game.market.list_quiz("ann", quiz_id, Decimal("70"))


async def test_a_listed_quiz_cannot_be_edited_and_deleting_it_withdraws_it() -> None:
    game = Game()
    quiz_id, listing_id = await game.listed("ann")
    with pytest.raises(QuizListedError):
        await game.trivia.update("ann", quiz_id, quiz({**RAW_QUIZ, "name": "Something else"}))
    await game.trivia.delete("ann", quiz_id)
    assert await game.marketplace.get(listing_id) is None
    assert (await game.market.listings(None))[0] == []


# -- purchase -------------------------------------------------------------------------------


async def test_a_purchase_pays_the_seller_and_gives_the_buyer_a_full_copy() -> None:
    game = Game()
    await game.grant("bob")
    quiz_id, listing_id = await game.listed("ann", "50")
    copy, balance = await game.market.purchase("bob", listing_id)
    assert balance == Decimal("150.00")
    assert await game.market.balance("ann") == Decimal("50.00")
    assert await game.marketplace.get(listing_id) is None
    original = await game.trivia.owned("ann", quiz_id)
    mine = await game.trivia.owned("bob", copy.quiz_id)
    assert (mine.owner, mine.source, mine.active) == ("bob", quiz_id, False)
    assert mine.content == original.content  # every question, with its answers
    # Read, play, activate: the copy is bob's game.
    await game.trivia.activate("bob", copy.quiz_id)
    answers = responses((1, 0), (2, "danube"))
    scored, recorded = await game.trivia.play("carol", copy.quiz_id, answers)
    assert (scored.correct, recorded) == (2, True)
    # Not resold, not edited.
    with pytest.raises(ResaleNotAllowedError):
        await game.market.list_quiz("bob", copy.quiz_id, Decimal("1"))
    with pytest.raises(PurchasedCopyError):
        await game.trivia.update("bob", copy.quiz_id, QUIZ)
    # The seller keeps the original and may sell it again, in a new listing.
    await game.market.list_quiz("ann", quiz_id, Decimal("50"))


async def test_a_sold_listing_is_gone_for_the_next_buyer() -> None:
    game = Game()
    await game.grant("bob")
    await game.grant("carol")
    _, listing_id = await game.listed("ann")
    await game.market.purchase("bob", listing_id)
    with pytest.raises(ListingUnavailableError):
        await game.market.purchase("carol", listing_id)
    with pytest.raises(ListingUnavailableError):
        await game.market.purchase("carol", "never-listed")
    assert await game.market.balance("carol") == Decimal("200.00")
    assert await game.market.balance("ann") == Decimal("50.00")


async def test_no_self_purchase() -> None:
    game = Game()
    await game.grant("ann")
    _, listing_id = await game.listed("ann")
    with pytest.raises(OwnListingError):
        await game.market.purchase("ann", listing_id)
    assert await game.market.balance("ann") == Decimal("200.00")
    assert await game.marketplace.get(listing_id) is not None


async def test_a_short_balance_buys_nothing() -> None:
    game = Game()
    await game.grant("bob")
    _, listing_id = await game.listed("ann", "200.01")
    with pytest.raises(InsufficientBalanceError):
        await game.market.purchase("bob", listing_id)
    assert await game.market.balance("bob") == Decimal("200.00")
    assert await game.market.balance("ann") == Decimal("0")
    assert await game.marketplace.get(listing_id) is not None
    assert await game.trivia.mine("bob") == []
    # Exactly the balance is enough, and leaves zero, never less.
    _, exact = await game.listed("ann", "200.00")
    assert (await game.market.purchase("bob", exact))[1] == Decimal("0.00")


async def test_of_twenty_concurrent_buyers_exactly_one_gets_the_listing() -> None:
    game = Game()
    buyers = [f"buyer{n}" for n in range(20)]
    for buyer in buyers:
        await game.grant(buyer)
    _, listing_id = await game.listed("ann", "50")
    outcomes = await asyncio.gather(
        *(game.market.purchase(buyer, listing_id) for buyer in buyers), return_exceptions=True
    )
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1
    assert all(isinstance(o, ListingUnavailableError) for o in lost)
    balances = [await game.market.balance(b) for b in buyers]
    assert sorted(balances) == [Decimal("150.00")] + [Decimal("200.00")] * 19
    assert await game.market.balance("ann") == Decimal("50.00")
