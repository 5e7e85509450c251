"""Leaderboards in DynamoDB, in the layout the races table shares.

One item per entry: ``PK`` (S) = board key, ``SK`` (S) = member key, ``GSI`` (N) = the sort
value, ``score`` (N) = the exact score, ``achievedAt`` (N, epoch ms), ``display`` (M),
``version`` (N). ``GSI`` is the score in whole cents times 10**13 plus a 13-digit tie value
that puts earlier achievements first among equal scores: ordering by it is ordering by score,
and it fits DynamoDB's 38 digits. The local secondary index ``GSI_PK_Index`` on (``PK``,
``GSI``) serves every ranked read, strongly consistent. The board's metadata is the item
``SK = "#board"`` (policy, expiry, visibility, member count); it has no ``GSI`` so it stays
out of the index.

Cost per call, in index items read (about 20 items of ~200 bytes per read unit):
- rank of a member: a counting query over every entry above it, O(rank);
- a page at ``offset``: O(offset + limit), plus O(rank) for the first entry's rank when
  offset > 0; "top N plus me" adds one item read and O(my rank);
- around: two queries of k items, plus two counts (the member's position and the first
  entry's rank), O(rank);
- count: one item read (the member count kept in the metadata item);
- a submission: one consistent item read and one conditional write (a transaction with the
  member count for a new member), retried on contention;
- a batch of submissions: per 99 entries, one consistent ``BatchGetItem`` and one transaction
  of conditional puts plus the member count; a cancelled one is settled entry by entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import batch_get, call, transact
from domain.leaderboards.errors import (
    BoardNotFoundError,
    LeaderboardStoreUnavailableError,
    SubmissionContentionError,
)
from domain.leaderboards.model import (
    Board,
    Entry,
    Page,
    Policy,
    RankedEntry,
    SubmitResult,
    Visibility,
    apply_policy,
    from_cents,
    ranked,
    tie_value,
    to_cents,
)
from domain.shared.retry import Retry
from domain.shared.time import from_millis, to_millis

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryOutputTypeDef

INDEX = "GSI_PK_Index"
META = "#board"
_TIE_SPAN = 10**13
#: Tries of a submission that lost to a concurrent write of the same entry.
_CONFLICT_RETRY = Retry(attempts=40, base=0.001, cap=0.05)
#: Entries per submission transaction: DynamoDB allows 100 actions, one is the member count.
_CHUNK = 99
_T = TypeVar("_T")


def _sort_value(entry: Entry) -> int:
    return to_cents(entry.score) * _TIE_SPAN + tie_value(entry.achieved_at)


def _above(cents: int) -> int:
    """The least sort value of a strictly higher score."""
    return (cents + 1) * _TIE_SPAN


def _board(key: str, stored: Mapping[str, Any]) -> Board:
    expires = stored.get("expiresAt")
    return Board(
        key,
        Policy(stored["policy"]),
        None if expires is None else from_millis(int(expires)),
        Visibility.parse(stored.get("visibility")),
    )


def _expiration(board: Board) -> int | None:
    """The TTL attribute of a board's items (epoch seconds, after its expiry), if it expires."""
    return None if board.expires_at is None else int(board.expires_at.timestamp()) + 1


class DynamoDBLeaderboardStore:
    """LeaderboardStore on a DynamoDB table (see the module docstring for layout and cost)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Callable[..., _T], **kwargs: Any) -> _T:
        return await call(
            LeaderboardStoreUnavailableError,
            "leaderboard table",
            fn,
            TableName=self._table,
            **kwargs,
        )

    # -- boards ---------------------------------------------------------------------------

    async def create_board(self, board: Board) -> Board:
        item = to_item(
            {
                "PK": board.key,
                "SK": META,
                "policy": board.policy.value,
                "visibility": board.visibility.text(),
                "total": 0,
                "expiresAt": None if board.expires_at is None else to_millis(board.expires_at),
                "expiration": _expiration(board),
            }
        )
        try:
            await self._run(
                self._client.put_item,
                Item=item,
                ConditionExpression="attribute_not_exists(PK)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return _board(board.key, from_item(item))
        except ClientError as exc:  # it exists: answer with the stored board
            old: Any = exc.response.get("Item")
        stored = from_item(old) if old is not None else await self._existing_board_item(board.key)
        if "visibility" not in stored:
            # A board stored before visibility existed takes the readers it is created with
            # now (a trivia quiz's board must not turn public by being old).
            await self._run(
                self._client.update_item,
                Key=self._key(board.key, META),
                UpdateExpression="SET visibility = if_not_exists(visibility, :v)",
                ExpressionAttributeValues=values(v=board.visibility.text()),
            )
            stored = await self._existing_board_item(board.key)
        return _board(board.key, stored)

    async def get_board(self, key: str) -> Board | None:
        stored = await self._board_item(key)
        return None if stored is None else _board(key, stored)

    async def _board_item(self, key: str) -> dict[str, Any] | None:
        answer = await self._run(
            self._client.get_item, Key=self._key(key, META), ConsistentRead=True
        )
        item = answer.get("Item")
        return None if item is None else from_item(item)

    async def _existing_board_item(self, key: str) -> dict[str, Any]:
        stored = await self._board_item(key)
        if stored is None:  # deleted between the failed create and this read
            raise LeaderboardStoreUnavailableError(f"The board {key!r} vanished; try again.")
        return stored

    # -- writes ---------------------------------------------------------------------------

    async def submit(self, board: Board, entries: Sequence[Entry]) -> list[SubmitResult]:
        """Entries in transactions of up to 99 (plus the member count), each entry's write
        conditional on what was read; a chunk whose transaction is cancelled (a concurrent
        writer, a missing board) falls back to one entry at a time."""
        results: list[SubmitResult | None] = [None] * len(entries)
        seen: set[str] = set()
        batch: list[int] = []  # indexes with a member not yet in this call
        later: list[int] = []  # a member's second submission in this call: after the first
        for index, entry in enumerate(entries):
            (later if entry.member in seen else batch).append(index)
            seen.add(entry.member)
        for start in range(0, len(batch), _CHUNK):
            chunk = batch[start : start + _CHUNK]
            outcome = await self._submit_chunk(board, [entries[i] for i in chunk])
            for index, result in zip(chunk, outcome, strict=True):
                results[index] = result
        for index in later:
            results[index] = await self._submit_one(board, entries[index])
        return [r for r in results if r is not None]

    async def _submit_chunk(self, board: Board, entries: list[Entry]) -> list[SubmitResult]:
        if len(entries) == 1:
            return [await self._submit_one(board, entries[0])]
        current = await self._get_entries(board.key, [e.member for e in entries])
        results: list[SubmitResult] = []
        actions: list[dict[str, Any]] = []
        added = 0
        for entry in entries:
            stored, version = current.get(entry.member, (None, 0))
            new = apply_policy(board.policy, stored, entry)
            if new is None:
                assert stored is not None
                results.append(SubmitResult(False, stored))
                continue
            results.append(SubmitResult(True, new))
            if stored is None:
                added += 1
                condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(SK)"}
            else:
                condition = {
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": values(v=version),
                }
            put = {"TableName": self._table, "Item": self._item(board, new, version + 1)}
            actions.append({"Put": {**put, **condition}})
        if added:
            actions.append(self._count_update(board, added))
        if not actions:
            return results
        if await self._transact(actions):  # cancelled: someone wrote in between
            return [await self._submit_one(board, entry) for entry in entries]
        return results

    async def _get_entries(
        self, board: str, members: list[str]
    ) -> dict[str, tuple[Entry | None, int]]:
        """Stored entries and versions of up to 100 members, read consistently."""
        keys = [self._key(board, m) for m in members]
        items = await batch_get(self._client, LeaderboardStoreUnavailableError, self._table, keys)
        found: dict[str, tuple[Entry | None, int]] = {}
        for item in items:
            stored = from_item(item)
            entry = _entry(stored)
            found[entry.member] = (entry, int(stored["version"]))
        return found

    async def _submit_one(self, board: Board, submitted: Entry) -> SubmitResult:
        for attempt in range(_CONFLICT_RETRY.attempts):
            current, version = await self._get_entry(board.key, submitted.member)
            new = apply_policy(board.policy, current, submitted)
            if new is None:
                assert current is not None
                return SubmitResult(False, current)
            if current is None:
                reasons = await self._insert(board, new)
                if not reasons:
                    return SubmitResult(True, new)
                if reasons[1] == "ConditionalCheckFailed":
                    raise BoardNotFoundError(board.key)
                if reasons[0] != "ConditionalCheckFailed":
                    raise LeaderboardStoreUnavailableError(f"An insert was cancelled ({reasons}).")
            else:
                try:
                    await self._run(
                        self._client.put_item,
                        Item=self._item(board, new, version + 1),
                        ConditionExpression="version = :v",
                        ExpressionAttributeValues=values(v=version),
                    )
                    return SubmitResult(True, new)
                except ClientError:
                    pass  # the version moved on
            # Another writer got there first: read again and re-apply, after a jittered pause.
            await _CONFLICT_RETRY.pause(attempt)
        raise SubmissionContentionError(
            f"Gave up after {_CONFLICT_RETRY.attempts} conflicting writes to {submitted.member!r}."
        )

    async def _transact(self, actions: list[dict[str, Any]]) -> list[str]:
        """The transaction's cancellation reasons (``[]``: it applied)."""
        return await transact(
            self._client, LeaderboardStoreUnavailableError, "leaderboard table", actions
        )

    async def _insert(self, board: Board, entry: Entry) -> list[str]:
        """Put a new member and count it, in one transaction (cancelled if either condition
        fails: the member exists, or the board does not)."""
        return await self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": self._item(board, entry, 1),
                        "ConditionExpression": "attribute_not_exists(SK)",
                    }
                },
                self._count_update(board, 1),
            ]
        )

    def _count_update(self, board: Board, added: int) -> dict[str, Any]:
        """Add to the board's member count; cancels the transaction if the board is gone."""
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(board.key, META),
                "UpdateExpression": "ADD #total :added",
                "ConditionExpression": "attribute_exists(PK)",
                "ExpressionAttributeNames": {"#total": "total"},
                "ExpressionAttributeValues": values(added=added),
            }
        }

    async def remove(self, board: Board, member: str) -> bool:
        await self._require(board)
        reasons = await self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": self._key(board.key, member),
                        "ConditionExpression": "attribute_exists(SK)",
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._key(board.key, META),
                        "UpdateExpression": "ADD #total :minus",
                        "ExpressionAttributeNames": {"#total": "total"},
                        "ExpressionAttributeValues": values(minus=-1),
                    }
                },
            ]
        )
        if reasons and reasons[0] != "ConditionalCheckFailed":
            raise LeaderboardStoreUnavailableError(f"The removal was cancelled ({reasons}).")
        return not reasons  # cancelled on its condition: the member is not on the board

    # -- reads ----------------------------------------------------------------------------

    async def page(self, board: Board, limit: int, offset: int, member: str | None) -> Page:
        total = await self.count(board)
        items = await self._query(board.key, offset + limit, descending=True)
        entries = [_entry(from_item(i)) for i in items[offset:]]
        first_rank = 1
        if entries and offset > 0:
            first_rank = await self._rank_of_score(board.key, entries[0].score)
        me = await self.rank_of(board, member) if member is not None else None
        return Page(board.key, ranked(entries, first_rank, offset + 1), me, total)

    async def rank_of(self, board: Board, member: str) -> RankedEntry | None:
        entry, _ = await self._get_entry(board.key, member)
        if entry is None:
            await self._require(board)
            return None
        return RankedEntry(await self._rank_of_score(board.key, entry.score), entry)

    async def around(self, board: Board, member: str, k: int) -> list[RankedEntry] | None:
        entry, _ = await self._get_entry(board.key, member)
        if entry is None:
            await self._require(board)
            return None
        mine = _sort_value(entry)
        above = await self._query(board.key, k, descending=False, after=mine)
        below = await self._query(board.key, k, descending=True, after=mine)
        ahead = [_entry(from_item(i)) for i in reversed(above)]
        window = [*ahead, entry, *(_entry(from_item(i)) for i in below)]
        position = await self._count(board.key, mine + 1)  # entries ahead of the member
        first_rank = await self._rank_of_score(board.key, window[0].score)
        return ranked(window, first_rank, position - len(above) + 1)

    async def count(self, board: Board) -> int:
        answer = await self._run(
            self._client.get_item, Key=self._key(board.key, META), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            raise BoardNotFoundError(board.key)
        return int(from_item(item)["total"])

    async def _require(self, board: Board) -> None:
        await self.count(board)

    async def _rank_of_score(self, board: str, score: Decimal) -> int:
        return 1 + await self._count(board, _above(to_cents(score)))

    async def _count(self, board: str, at_least: int) -> int:
        """How many entries have a sort value of at least ``at_least`` (a paginated count)."""
        count = 0
        async for answer in self._pages(
            KeyConditionExpression="PK = :b AND GSI >= :g",
            ExpressionAttributeValues=values(b=board, g=at_least),
            Select="COUNT",
        ):
            count += answer["Count"]
        return count

    async def _query(
        self, board: str, wanted: int, *, descending: bool, after: int | None = None
    ) -> list[dict[str, AttributeValueTypeDef]]:
        """Up to ``wanted`` entries in index order (from ``after``, exclusive, if given)."""
        if wanted <= 0:
            return []
        condition = "PK = :b"
        if after is not None:
            condition += " AND GSI < :g" if descending else " AND GSI > :g"
        items: list[dict[str, AttributeValueTypeDef]] = []
        async for answer in self._pages(
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values(b=board, g=after),  # :g only with ``after``
            ScanIndexForward=not descending,
            Limit=wanted,
        ):
            items += answer["Items"]
            if len(items) >= wanted:
                break
        return items[:wanted]

    async def _pages(self, **query: Any) -> AsyncIterator[QueryOutputTypeDef]:
        """Every page of a strongly consistent query on the index."""
        start = None
        while True:
            extra: dict[str, Any] = {} if start is None else {"ExclusiveStartKey": start}
            answer = await self._run(
                self._client.query, IndexName=INDEX, ConsistentRead=True, **query, **extra
            )
            yield answer
            start = answer.get("LastEvaluatedKey")
            if start is None:
                return

    async def _get_entry(self, board: str, member: str) -> tuple[Entry | None, int]:
        answer = await self._run(
            self._client.get_item, Key=self._key(board, member), ConsistentRead=True
        )
        item = answer.get("Item")
        if item is None:
            return None, 0
        stored = from_item(item)
        return _entry(stored), int(stored["version"])

    @staticmethod
    def _key(board: str, sort_key: str) -> dict[str, AttributeValueTypeDef]:
        return to_item({"PK": board, "SK": sort_key})

    @staticmethod
    def _item(board: Board, entry: Entry, version: int) -> dict[str, AttributeValueTypeDef]:
        return to_item(
            {
                "PK": board.key,
                "SK": entry.member,
                "GSI": _sort_value(entry),
                "score": entry.score,
                "achievedAt": to_millis(entry.achieved_at),
                "version": version,
                "display": entry.display or None,  # no display: no attribute
                "expiration": _expiration(board),
            }
        )


def _entry(stored: Mapping[str, Any]) -> Entry:
    """The entry in a deserialized item."""
    return Entry(
        stored["SK"],
        from_cents(to_cents(stored["score"])),
        from_millis(int(stored["achievedAt"])),
        dict(stored.get("display", {})),
    )


def create_leaderboard_table(client: DynamoDBClient, table: str) -> bool:
    """Create the table with ``GSI_PK_Index`` and TTL on ``expiration`` unless it exists;
    True when it was created."""
    try:
        client.create_table(
            TableName=table,
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
                {"AttributeName": "GSI", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": INDEX,
                    "KeySchema": [
                        {"AttributeName": "PK", "KeyType": "HASH"},
                        {"AttributeName": "GSI", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("table_exists").wait(TableName=table)
    client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"},
    )
    return True
