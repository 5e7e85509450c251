"""Trivia in DynamoDB: one table, ``TRIVIA_TABLE``, keys ``PK`` and ``SK`` (strings).

- quiz: ``quiz#<id>`` / ``quiz``: ``owner``, ``doc`` (the quiz's JSON, answers included),
  ``active``, ``source``, ``createdAt``;
- an owner's quiz: ``owner#<owner>`` / ``quiz#<created>#<id>``, with ``quizId``;
- an active game: ``games`` and ``games#<category>`` / ``<created>#<id>``, with ``quizId``;
- a recorded play: ``quiz#<id>`` / ``played#<player>`` (exists: not the first play);
- progress: ``player#<username>`` / ``progress``: ``experience``, ``wins``;
- a credited event: ``player#<username>`` / ``credit#<eventId>`` (exists: already counted);
- a wallet: ``player#<username>`` / ``wallet``: ``balance`` (a number, never below 0);
- a daily grant: ``player#<username>`` / ``grant#<YYYY-MM-DD>`` (exists: granted that day);
- a listing: ``listing#<id>`` / ``listing``, and the same attributes in the marketplace index
  ``market`` / ``<listed>#<id>``: ``listingId``, ``quizId``, ``seller``, ``price``, ``name``,
  ``category``, ``questionCount``, ``listedAt``;
- a quiz's open listing: ``quiz#<id>`` / ``listing``: ``listingId`` (at most one per quiz).

``<created>`` and ``<listed>`` are epoch milliseconds, zero-padded to 13 digits, so the sort
key orders the lists; they are read newest first, a page at a time, with no scan. A quiz and
its list items change in one transaction, a listing and its index items too, and a purchase
is one transaction of eight actions (listing, index and quiz marker deleted, the original
checked, buyer debited on the condition ``balance >= price``, seller credited, the copy and
its owner item put). The table has the leaderboard layout (``portside init-aws``
creates it with ``create_leaderboard_table``): the quiz boards ``trivia-<quizId>`` are its
leaderboard items. The same table in docs/trivia.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import batch_get, call, transact
from adapters.trivia_documents import content_of, quiz_document
from domain.trivia.errors import (
    GrantAlreadyClaimedError,
    InsufficientBalanceError,
    ListingUnavailableError,
    QuizListedError,
    TriviaStoreUnavailableError,
)
from domain.trivia.market import CENTS, Listing, coins
from domain.trivia.model import (
    Quiz,
    page_cursor,
    parse_page_cursor,
)
from domain.trivia.progress import Progress

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


def _sort(position: tuple[int, str]) -> str:
    """The sort key of a list item: ``<created>#<id>``, read backwards for newest first."""
    created_at, item_id = position
    return f"{created_at:013d}#{item_id}"


def _quiz_key(quiz_id: str) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": f"quiz#{quiz_id}", "SK": "quiz"})


class TriviaTable:
    """What the stores of ``TRIVIA_TABLE`` share: the client, the table, and its calls with
    their errors translated."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Any, **kwargs: Any) -> Any:
        return await call(TriviaStoreUnavailableError, "trivia table", fn, **kwargs)

    async def _transact(self, actions: list[dict[str, Any]]) -> list[str]:
        return await transact(self._client, TriviaStoreUnavailableError, "trivia table", actions)

    async def _write(self, actions: list[dict[str, Any]]) -> None:
        """A transaction without conditions: any cancellation is a failure to report."""
        reasons = await self._transact(actions)
        if reasons:
            raise TriviaStoreUnavailableError(f"A trivia table write was cancelled ({reasons}).")

    async def _newest_first(
        self, pk: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """A page of the list partition ``pk`` (sort keys ``<created>#<id>``), newest first,
        after ``cursor``; and whether more follow. One query, never a scan."""
        start: dict[str, Any] = {}
        if cursor:
            sort = _sort(parse_page_cursor(cursor))
            start = {"ExclusiveStartKey": to_item({"PK": pk, "SK": sort})}
        answer = await self._run(
            self._client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues=values(pk=pk),
            ScanIndexForward=False,
            Limit=limit + 1,  # one more than the page: is there a next page?
            **start,
        )
        items = answer.get("Items", [])
        return items[:limit], len(items) > limit

    async def _balance(self, player: str) -> Decimal:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key=_wallet_key(player),
            ConsistentRead=True,
        )
        return Decimal(from_item(answer.get("Item", {})).get("balance", 0)).quantize(CENTS)


class DynamoDBQuizStore(TriviaTable):
    """QuizStore on ``TRIVIA_TABLE`` (layout in the module docstring)."""

    async def put(self, quiz: Quiz) -> None:
        before = await self.get(quiz.quiz_id)
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": _quiz_item(quiz)}},
            {"Put": {"TableName": self._table, "Item": _owner_item(quiz)}},
        ]
        listed = _game_keys(quiz) if quiz.active else []
        was = _game_keys(before) if before and before.active else []
        item = to_item({"quizId": quiz.quiz_id})
        writes += [{"Put": {"TableName": self._table, "Item": {**k, **item}}} for k in listed]
        writes += [{"Delete": {"TableName": self._table, "Key": k}} for k in was if k not in listed]
        await self._write(writes)

    async def get(self, quiz_id: str) -> Quiz | None:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key=_quiz_key(quiz_id),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else _quiz_from_item(item)

    async def delete(self, quiz_id: str) -> None:
        quiz = await self.get(quiz_id)
        if quiz is None:
            return
        keys = [_quiz_key(quiz_id), _owner_key(quiz), *(_game_keys(quiz) if quiz.active else [])]
        await self._write([{"Delete": {"TableName": self._table, "Key": k}} for k in keys])

    async def by_owner(self, owner: str) -> list[Quiz]:
        ids: list[str] = []
        start: dict[str, Any] = {}
        for _ in range(1000):  # bounded: 1,000 pages of an owner's quizzes
            answer = await self._run(
                self._client.query,
                TableName=self._table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :quiz)",
                ExpressionAttributeValues=values(pk=f"owner#{owner}", quiz="quiz#"),
                ScanIndexForward=False,
                **start,
            )
            ids += [from_item(item)["quizId"] for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                break
            start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
        return await self._quizzes(ids)

    async def active(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Quiz], str | None]:
        pk = "games" if category is None else f"games#{category}"
        items, more = await self._newest_first(pk, limit, cursor)
        page = await self._quizzes([from_item(item)["quizId"] for item in items])
        return page, (page_cursor(page[-1].position) if more and page else None)

    async def _quizzes(self, ids: list[str]) -> list[Quiz]:
        """The quizzes of ``ids``, in that order (any deleted meanwhile left out)."""
        keys = [_quiz_key(i) for i in ids]
        items = await batch_get(self._client, TriviaStoreUnavailableError, self._table, keys)
        found = {quiz.quiz_id: quiz for quiz in map(_quiz_from_item, items)}
        return [found[i] for i in ids if i in found]


def _game_keys(quiz: Quiz) -> list[dict[str, AttributeValueTypeDef]]:
    """The keys of an active quiz's items in the games lists (all, and its category)."""
    sort = _sort(quiz.position)
    return [to_item({"PK": pk, "SK": sort}) for pk in ("games", f"games#{quiz.content.category}")]


def _owner_key(quiz: Quiz) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": f"owner#{quiz.owner}", "SK": f"quiz#{_sort(quiz.position)}"})


def _owner_item(quiz: Quiz) -> dict[str, AttributeValueTypeDef]:
    return {**_owner_key(quiz), **to_item({"quizId": quiz.quiz_id})}


def _quiz_item(quiz: Quiz) -> dict[str, AttributeValueTypeDef]:
    attributes = {
        "quizId": quiz.quiz_id,
        "owner": quiz.owner,
        "doc": json.dumps(quiz_document(quiz.content), separators=(",", ":")),
        "active": quiz.active,
        "createdAt": quiz.created_at,
        "source": quiz.source,  # None: no attribute
    }
    return {**_quiz_key(quiz.quiz_id), **to_item(attributes)}


def _quiz_from_item(item: Mapping[str, AttributeValueTypeDef]) -> Quiz:
    stored = from_item(item)
    return Quiz(
        stored["quizId"],
        stored["owner"],
        content_of(json.loads(stored["doc"])),
        active=stored["active"],
        source=stored.get("source"),
        created_at=int(stored["createdAt"]),
    )


class DynamoDBPlayLog(TriviaTable):
    """PlayLog on ``TRIVIA_TABLE``: a conditional put per (quiz, player)."""

    async def claim_first(self, quiz_id: str, player: str) -> bool:
        try:
            await self._run(
                self._client.put_item,
                TableName=self._table,
                Item=to_item({"PK": f"quiz#{quiz_id}", "SK": f"played#{player}"}),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError:  # the condition failed: played before
            return False
        return True


class DynamoDBProgressStore(TriviaTable):
    """ProgressStore on ``TRIVIA_TABLE``: the credit marker and the addition in one
    transaction, so an event is counted once however often it is delivered."""

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        pk = f"player#{username}"
        reasons = await self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item({"PK": pk, "SK": f"credit#{event_id}"}),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"PK": pk, "SK": "progress"}),
                        "UpdateExpression": "ADD experience :x, wins :w",
                        "ExpressionAttributeValues": values(x=experience, w=wins),
                    }
                },
            ]
        )
        # The marker's condition failed: this event was already credited to this player.
        if reasons and reasons[0] != "ConditionalCheckFailed":
            raise TriviaStoreUnavailableError(f"The credit was cancelled ({reasons}).")
        return await self.get(username)

    async def get(self, username: str) -> Progress:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key=to_item({"PK": f"player#{username}", "SK": "progress"}),
            ConsistentRead=True,
        )
        stored = from_item(answer.get("Item") or {})
        return Progress(username, int(stored.get("experience", 0)), int(stored.get("wins", 0)))


def _wallet_key(player: str) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": f"player#{player}", "SK": "wallet"})


class DynamoDBWalletStore(TriviaTable):
    """WalletStore on ``TRIVIA_TABLE``: the day's grant marker and the addition in one
    transaction."""

    async def balance(self, player: str) -> Decimal:
        return await self._balance(player)

    async def grant(self, player: str, day: str, amount: Decimal) -> Decimal:
        marker = to_item({"PK": f"player#{player}", "SK": f"grant#{day}"})
        reasons = await self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marker,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _wallet_key(player),
                        "UpdateExpression": "ADD balance :amount",
                        "ExpressionAttributeValues": values(amount=amount),
                    }
                },
            ]
        )
        if reasons:
            if reasons[0] == "ConditionalCheckFailed":
                raise GrantAlreadyClaimedError(day)
            raise TriviaStoreUnavailableError(f"The grant was cancelled ({reasons}).")
        return await self.balance(player)


class DynamoDBMarketplace(TriviaTable):
    """Marketplace on ``TRIVIA_TABLE``: listings with a newest-first index, and purchases
    in one transaction (layout in the module docstring)."""

    async def add(self, listing: Listing) -> None:
        marker = {**_marker_key(listing.quiz_id), **to_item({"listingId": listing.listing_id})}
        reasons = await self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marker,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                {"Put": {"TableName": self._table, "Item": _listing_item(listing)}},
                {"Put": {"TableName": self._table, "Item": _index_item(listing)}},
            ]
        )
        if reasons and reasons[0] == "ConditionalCheckFailed":
            listed = await self.listing_of(listing.quiz_id)
            raise QuizListedError(listing.quiz_id, listed.listing_id if listed else "?")
        if reasons:
            raise TriviaStoreUnavailableError(f"The listing was cancelled ({reasons}).")

    async def get(self, listing_id: str) -> Listing | None:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key=_listing_key(listing_id),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else _listing_from_item(item)

    async def listing_of(self, quiz_id: str) -> Listing | None:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key=_marker_key(quiz_id),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return None if item is None else await self.get(from_item(item)["listingId"])

    async def page(self, limit: int, cursor: str | None) -> tuple[list[Listing], str | None]:
        items, more = await self._newest_first(_MARKET, limit, cursor)
        page = [_listing_from_item(item) for item in items]
        return page, (page_cursor(page[-1].position) if more else None)

    async def remove(self, listing: Listing) -> None:
        # Cancelled: already sold or withdrawn (the quiz may have a newer listing: its
        # marker is deleted only while it still names this one).
        await self._transact(self._removal(listing))

    async def purchase(self, listing: Listing, buyer: str, copy: Quiz) -> Decimal:
        price = values(price=listing.price)
        actions = [
            *self._removal(listing),
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _quiz_key(listing.quiz_id),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _wallet_key(buyer),
                    "UpdateExpression": "SET balance = balance - :price",
                    "ConditionExpression": "balance >= :price",
                    "ExpressionAttributeValues": price,
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": _wallet_key(listing.seller),
                    "UpdateExpression": "ADD balance :price",
                    "ExpressionAttributeValues": price,
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _quiz_item(copy),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {"Put": {"TableName": self._table, "Item": _owner_item(copy)}},
        ]
        reasons = await self._transact(actions)
        if not reasons:
            return await self._balance(buyer)
        debit = 4  # the buyer's debit among the actions
        if "ConditionalCheckFailed" in reasons[:debit]:
            raise ListingUnavailableError(listing.listing_id)
        if reasons[debit] == "ConditionalCheckFailed":
            raise InsufficientBalanceError(coins(listing.price))
        raise TriviaStoreUnavailableError(f"The purchase was cancelled ({reasons}).")

    def _removal(self, listing: Listing) -> list[dict[str, Any]]:
        """Delete the listing (which must exist), its index item and its quiz's marker."""
        return [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _listing_key(listing.listing_id),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {"Delete": {"TableName": self._table, "Key": _index_key(listing)}},
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _marker_key(listing.quiz_id),
                    "ConditionExpression": "listingId = :id",
                    "ExpressionAttributeValues": values(id=listing.listing_id),
                }
            },
        ]


_MARKET = "market"


def _listing_key(listing_id: str) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": f"listing#{listing_id}", "SK": "listing"})


def _index_key(listing: Listing) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": _MARKET, "SK": _sort(listing.position)})


def _marker_key(quiz_id: str) -> dict[str, AttributeValueTypeDef]:
    return to_item({"PK": f"quiz#{quiz_id}", "SK": "listing"})


def _listing_attributes(listing: Listing) -> dict[str, AttributeValueTypeDef]:
    return to_item(
        {
            "listingId": listing.listing_id,
            "quizId": listing.quiz_id,
            "seller": listing.seller,
            "price": listing.price,
            "name": listing.name,
            "category": listing.category,
            "questionCount": listing.question_count,
            "listedAt": listing.listed_at,
        }
    )


def _listing_item(listing: Listing) -> dict[str, AttributeValueTypeDef]:
    return {**_listing_key(listing.listing_id), **_listing_attributes(listing)}


def _index_item(listing: Listing) -> dict[str, AttributeValueTypeDef]:
    return {**_index_key(listing), **_listing_attributes(listing)}


def _listing_from_item(item: Mapping[str, AttributeValueTypeDef]) -> Listing:
    stored = from_item(item)
    return Listing(
        stored["listingId"],
        stored["quizId"],
        stored["seller"],
        stored["price"].quantize(CENTS),
        stored["name"],
        stored["category"],
        int(stored["questionCount"]),
        int(stored["listedAt"]),
    )
