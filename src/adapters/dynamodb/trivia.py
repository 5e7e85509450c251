"""Trivia in DynamoDB: one table, ``TRIVIA_TABLE``, keys ``PK`` and ``SK`` (strings).

- quiz: ``quiz#<id>`` / ``quiz``: ``owner``, ``doc`` (the quiz's JSON, answers included),
  ``active``, ``source``, ``createdAt``;
- an owner's quiz: ``owner#<owner>`` / ``quiz#<created>#<id>``, with ``quizId``;
- an active game: ``games`` and ``games#<category>`` / ``<created>#<id>``, with ``quizId``;
- a recorded play: ``quiz#<id>`` / ``played#<player>`` (exists: not the first play);
- progress: ``player#<username>`` / ``progress``: ``experience``, ``wins``;
- a credited event: ``player#<username>`` / ``credit#<eventId>`` (exists: already counted).

``<created>`` is the epoch milliseconds, zero-padded to 13 digits, so the sort key orders the
lists; they are read newest first, a page at a time, with no scan. A quiz and its list items
change in one transaction. The table has the leaderboard layout (``portside init-aws``
creates it with ``create_leaderboard_table``): the quiz boards ``trivia-<quizId>`` are its
leaderboard items. The same table in docs/trivia.md.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb.tables import batch_get, call
from domain.trivia.errors import TriviaStoreUnavailableError
from domain.trivia.model import (
    Quiz,
    games_cursor,
    parse_games_cursor,
    parse_quiz,
    quiz_document,
)
from domain.trivia.progress import Progress

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def _sort(quiz: Quiz) -> str:
    return f"{quiz.created_at:013d}#{quiz.quiz_id}"


def _quiz_key(quiz_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"quiz#{quiz_id}"}, "SK": {"S": "quiz"}}


class _Table:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Any, **kwargs: Any) -> Any:
        return await call(TriviaStoreUnavailableError, "trivia table", fn, **kwargs)


class DynamoDBQuizStore(_Table):
    """QuizStore on ``TRIVIA_TABLE`` (layout in the module docstring)."""

    async def put(self, quiz: Quiz) -> None:
        before = await self.get(quiz.quiz_id)
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": _quiz_item(quiz)}},
            {"Put": {"TableName": self._table, "Item": self._owner_item(quiz)}},
        ]
        listed = {"games", f"games#{quiz.content.category}"} if quiz.active else set()
        was = {"games", f"games#{before.content.category}"} if before and before.active else set()
        for pk in listed:
            item = {"PK": {"S": pk}, "SK": {"S": _sort(quiz)}, "quizId": {"S": quiz.quiz_id}}
            writes.append({"Put": {"TableName": self._table, "Item": item}})
        for pk in was - listed:
            key = {"PK": {"S": pk}, "SK": {"S": _sort(quiz)}}
            writes.append({"Delete": {"TableName": self._table, "Key": key}})
        await self._run(self._client.transact_write_items, TransactItems=writes)

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
        keys = [_quiz_key(quiz_id), self._owner_key(quiz)]
        if quiz.active:
            keys += [
                {"PK": {"S": pk}, "SK": {"S": _sort(quiz)}}
                for pk in ("games", f"games#{quiz.content.category}")
            ]
        await self._run(
            self._client.transact_write_items,
            TransactItems=[{"Delete": {"TableName": self._table, "Key": k}} for k in keys],
        )

    async def by_owner(self, owner: str) -> list[Quiz]:
        ids: list[str] = []
        start: dict[str, Any] = {}
        for _ in range(1000):  # bounded: 1,000 pages of an owner's quizzes
            answer = await self._run(
                self._client.query,
                TableName=self._table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :quiz)",
                ExpressionAttributeValues={":pk": {"S": f"owner#{owner}"}, ":quiz": {"S": "quiz#"}},
                ScanIndexForward=False,
                **start,
            )
            ids += [item["quizId"]["S"] for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                break
            start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}
        return await self._quizzes(ids)

    async def active(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Quiz], str | None]:
        pk = "games" if category is None else f"games#{category}"
        start: dict[str, Any] = {}
        if cursor:
            created, quiz_id = parse_games_cursor(cursor)
            sort = f"{created:013d}#{quiz_id}"
            start = {"ExclusiveStartKey": {"PK": {"S": pk}, "SK": {"S": sort}}}
        answer = await self._run(
            self._client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ScanIndexForward=False,
            Limit=limit + 1,  # one more than the page: is there a next page?
            **start,
        )
        items = answer.get("Items", [])
        page = await self._quizzes([item["quizId"]["S"] for item in items[:limit]])
        return page, (games_cursor(page[-1]) if len(items) > limit and page else None)

    async def _quizzes(self, ids: list[str]) -> list[Quiz]:
        """The quizzes of ``ids``, in that order (any deleted meanwhile left out)."""
        keys = [_quiz_key(i) for i in ids]
        items = await batch_get(self._client, TriviaStoreUnavailableError, self._table, keys)
        found = {quiz.quiz_id: quiz for quiz in map(_quiz_from_item, items)}
        return [found[i] for i in ids if i in found]

    def _owner_key(self, quiz: Quiz) -> dict[str, Any]:
        return {"PK": {"S": f"owner#{quiz.owner}"}, "SK": {"S": f"quiz#{_sort(quiz)}"}}

    def _owner_item(self, quiz: Quiz) -> dict[str, Any]:
        return {**self._owner_key(quiz), "quizId": {"S": quiz.quiz_id}}


def _quiz_item(quiz: Quiz) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_quiz_key(quiz.quiz_id),
        "quizId": {"S": quiz.quiz_id},
        "owner": {"S": quiz.owner},
        "doc": {"S": json.dumps(quiz_document(quiz.content), separators=(",", ":"))},
        "active": {"BOOL": quiz.active},
        "createdAt": {"N": str(quiz.created_at)},
    }
    if quiz.source is not None:
        item["source"] = {"S": quiz.source}
    return item


def _quiz_from_item(item: dict[str, Any]) -> Quiz:
    return Quiz(
        item["quizId"]["S"],
        item["owner"]["S"],
        parse_quiz(json.loads(item["doc"]["S"])),
        active=item["active"]["BOOL"],
        source=item["source"]["S"] if "source" in item else None,
        created_at=int(item["createdAt"]["N"]),
    )


class DynamoDBPlayLog(_Table):
    """PlayLog on ``TRIVIA_TABLE``: a conditional put per (quiz, player)."""

    async def claim_first(self, quiz_id: str, player: str) -> bool:
        try:
            await self._run(
                self._client.put_item,
                TableName=self._table,
                Item={"PK": {"S": f"quiz#{quiz_id}"}, "SK": {"S": f"played#{player}"}},
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError:  # the condition failed: played before
            return False
        return True


class DynamoDBProgressStore(_Table):
    """ProgressStore on ``TRIVIA_TABLE``: the credit marker and the addition in one
    transaction, so an event is counted once however often it is delivered."""

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        pk = {"S": f"player#{username}"}
        # Cancelled (ClientError): this event was already credited to this player.
        with contextlib.suppress(ClientError):
            await self._run(
                self._client.transact_write_items,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {"PK": pk, "SK": {"S": f"credit#{event_id}"}},
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"PK": pk, "SK": {"S": "progress"}},
                            "UpdateExpression": "ADD experience :x, wins :w",
                            "ExpressionAttributeValues": {
                                ":x": {"N": str(experience)},
                                ":w": {"N": str(wins)},
                            },
                        }
                    },
                ],
            )
        return await self.get(username)

    async def get(self, username: str) -> Progress:
        answer = await self._run(
            self._client.get_item,
            TableName=self._table,
            Key={"PK": {"S": f"player#{username}"}, "SK": {"S": "progress"}},
            ConsistentRead=True,
        )
        item = answer.get("Item") or {}
        return Progress(
            username,
            int(item.get("experience", {"N": "0"})["N"]),
            int(item.get("wins", {"N": "0"})["N"]),
        )
