"""WalletStore and Marketplace contracts, in memory and DynamoDB (moto): grants once per day,
listings paged newest first, purchases all or nothing, one winner among concurrent buyers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest

from adapters.memory.trivia import InMemoryMarketplace, InMemoryQuizStore, InMemoryWalletStore
from domain.trivia.errors import (
    GrantAlreadyClaimedError,
    InsufficientBalanceError,
    InvalidCursorError,
    ListingUnavailableError,
    QuizListedError,
)
from domain.trivia.market import Listing
from domain.trivia.model import Quiz
from ports.trivia import Marketplace, QuizStore, WalletStore
from tests.support.services import dynamodb_client
from tests.support.wire import quiz as content_of

pytestmark = pytest.mark.anyio


@dataclass
class Stores:
    quizzes: QuizStore
    wallets: WalletStore
    market: Marketplace


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        quizzes, wallets = InMemoryQuizStore(), InMemoryWalletStore()
        yield Stores(quizzes, wallets, InMemoryMarketplace(quizzes, wallets))
        return
    from adapters.dynamodb.leaderboards import create_leaderboard_table
    from adapters.dynamodb.trivia import (
        DynamoDBMarketplace,
        DynamoDBQuizStore,
        DynamoDBWalletStore,
    )

    client = dynamodb_client(request.getfixturevalue("aws_env"))
    table = f"trivia-{uuid.uuid4().hex[:8]}"
    create_leaderboard_table(client, table)  # as portside init-aws makes TRIVIA_TABLE
    yield Stores(
        DynamoDBQuizStore(client, table),
        DynamoDBWalletStore(client, table),
        DynamoDBMarketplace(client, table),
    )


def quiz(quiz_id: str = "q1", owner: str = "ann") -> Quiz:
    content = content_of(
        {
            "name": "Rivers",
            "category": "geography",
            "questions": [
                {"text": "Longest?", "options": ["Nile", "Rhine"], "correct": 0},
                {"text": "Vienna?", "answer": "Danube", "alternatives": ["Donau"]},
            ],
        }
    )
    return Quiz(quiz_id, owner, content, created_at=1000)


def listing(n: int = 1, quiz_id: str = "q1", price: str = "50.00", seller: str = "ann") -> Listing:
    return Listing(f"l{n}", quiz_id, seller, Decimal(price), "Rivers", "geography", 2, 5000 + n)


def copy_for(buyer: str, original: Quiz, n: int = 1) -> Quiz:
    return replace(original, quiz_id=f"copy{n}-{buyer}", owner=buyer, source=original.quiz_id)


async def fund(wallets: WalletStore, player: str, days: int) -> None:
    for day in range(1, days + 1):
        await wallets.grant(player, f"2026-11-{day:02d}", Decimal("200.00"))


async def test_grants_add_once_per_day(stores: Stores) -> None:
    wallets = stores.wallets
    assert await wallets.balance("bob") == 0
    assert await wallets.grant("bob", "2026-11-23", Decimal("200.00")) == Decimal("200.00")
    with pytest.raises(GrantAlreadyClaimedError):
        await wallets.grant("bob", "2026-11-23", Decimal("200.00"))
    assert await wallets.grant("bob", "2026-11-24", Decimal("200.00")) == Decimal("400.00")
    assert await wallets.grant("ann", "2026-11-23", Decimal("200.00")) == Decimal("200.00")
    assert await wallets.balance("bob") == Decimal("400.00")


async def test_concurrent_grants_of_one_day_add_once(stores: Stores) -> None:
    outcomes = await asyncio.gather(
        *(stores.wallets.grant("bob", "2026-11-23", Decimal("200.00")) for _ in range(10)),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(
        isinstance(o, GrantAlreadyClaimedError) for o in outcomes if isinstance(o, BaseException)
    )
    assert await stores.wallets.balance("bob") == Decimal("200.00")


async def test_a_listing_reads_back_and_one_quiz_has_one_open_listing(stores: Stores) -> None:
    await stores.quizzes.put(quiz())
    await stores.market.add(listing(1))
    assert await stores.market.get("l1") == listing(1)
    assert await stores.market.get("nope") is None
    assert await stores.market.listing_of("q1") == listing(1)
    assert await stores.market.listing_of("q2") is None
    with pytest.raises(QuizListedError):
        await stores.market.add(listing(2))
    assert await stores.market.get("l2") is None


async def test_the_marketplace_pages_newest_first(stores: Stores) -> None:
    for n in range(1, 8):
        await stores.market.add(listing(n, quiz_id=f"q{n}"))
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page, cursor = await stores.market.page(3, cursor)
        seen += [item.listing_id for item in page]
        if cursor is None:
            break
    assert seen == [f"l{n}" for n in range(7, 0, -1)]
    assert (await stores.market.page(10, None))[1] is None
    with pytest.raises(InvalidCursorError):
        await stores.market.page(3, "garbage")


async def test_removing_a_listing_frees_its_quiz_and_is_idempotent(stores: Stores) -> None:
    await stores.market.add(listing(1))
    await stores.market.remove(listing(1))
    await stores.market.remove(listing(1))  # already gone: nothing
    assert await stores.market.get("l1") is None
    assert (await stores.market.page(10, None))[0] == []
    await stores.market.add(listing(2))
    await stores.market.remove(listing(1))  # a stale removal leaves the newer listing alone
    assert await stores.market.listing_of("q1") == listing(2)


async def test_a_purchase_moves_coins_listing_and_copy_together(stores: Stores) -> None:
    original = quiz()
    await stores.quizzes.put(original)
    await fund(stores.wallets, "bob", 1)
    await stores.market.add(listing(1, price="49.99"))
    copy = copy_for("bob", original)
    assert await stores.market.purchase(listing(1, price="49.99"), "bob", copy) == Decimal("150.01")
    assert await stores.wallets.balance("bob") == Decimal("150.01")
    assert await stores.wallets.balance("ann") == Decimal("49.99")
    assert await stores.market.get("l1") is None
    assert await stores.market.listing_of("q1") is None
    assert (await stores.market.page(10, None))[0] == []
    assert await stores.quizzes.get(copy.quiz_id) == copy
    assert [q.quiz_id for q in await stores.quizzes.by_owner("bob")] == [copy.quiz_id]
    with pytest.raises(ListingUnavailableError):
        await stores.market.purchase(listing(1, price="49.99"), "bob", copy_for("bob", original, 2))
    assert await stores.wallets.balance("bob") == Decimal("150.01")


async def test_a_short_balance_changes_nothing(stores: Stores) -> None:
    original = quiz()
    await stores.quizzes.put(original)
    await fund(stores.wallets, "bob", 1)
    await stores.market.add(listing(1, price="200.01"))
    with pytest.raises(InsufficientBalanceError):
        await stores.market.purchase(listing(1, price="200.01"), "bob", copy_for("bob", original))
    with pytest.raises(InsufficientBalanceError):  # no wallet at all
        await stores.market.purchase(listing(1, price="200.01"), "eve", copy_for("eve", original))
    assert await stores.wallets.balance("bob") == Decimal("200.00")
    assert await stores.wallets.balance("ann") == 0
    assert await stores.market.get("l1") == listing(1, price="200.01")
    assert await stores.quizzes.by_owner("bob") == []


async def test_a_listing_whose_quiz_was_deleted_sells_nothing(stores: Stores) -> None:
    original = quiz()
    await fund(stores.wallets, "bob", 1)
    await stores.market.add(listing(1))  # its quiz is not (or no longer) stored
    with pytest.raises(ListingUnavailableError):
        await stores.market.purchase(listing(1), "bob", copy_for("bob", original))
    assert await stores.wallets.balance("bob") == Decimal("200.00")
    assert await stores.quizzes.by_owner("bob") == []


async def test_of_twenty_concurrent_buyers_exactly_one_gets_the_listing(stores: Stores) -> None:
    original = quiz()
    await stores.quizzes.put(original)
    buyers = [f"buyer{n:02d}" for n in range(20)]
    await asyncio.gather(*(fund(stores.wallets, b, 1) for b in buyers))
    await stores.market.add(listing(1))
    outcomes = await asyncio.gather(
        *(stores.market.purchase(listing(1), b, copy_for(b, original)) for b in buyers),
        return_exceptions=True,
    )
    winners = [b for b, o in zip(buyers, outcomes, strict=True) if not isinstance(o, BaseException)]
    assert len(winners) == 1
    losers = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(o, ListingUnavailableError) for o in losers), losers
    balances = {b: await stores.wallets.balance(b) for b in buyers}
    assert balances == {b: Decimal("150.00" if b in winners else "200.00") for b in buyers}
    assert await stores.wallets.balance("ann") == Decimal("50.00")
    owners = [b for b in buyers if await stores.quizzes.by_owner(b)]
    assert owners == winners
