"""Live games, their connections and chat in DynamoDB (``TRIVIA_TABLE``, keys ``PK``/``SK``),
so the WebSocket Lambdas work without ElastiCache.

- a game ``G``: ``live#G`` / ``game``: ``doc`` (the host's side as JSON: quiz copy, round,
  hosting time), ``state``, ``started``, ``paused``, ``open`` (question numbers), ``closes``,
  ``live``, ``version``, ``players`` (a list, in the order they joined), ``first`` (a map:
  question number -> the first correct answer's player);
- its players: ``live#G`` / ``player#<p>``: ``score``, ``correct``;
- its answers: ``liveanswers#G`` / ``<n>#<p>`` (a conditional put: one per player per question);
- the listing: ``livegames`` / ``<hostedAt, 15 digits>#G``;
- a ticket: ``liveticket#<t>`` / ``ticket``: ``player``; a connection: ``liveconn#<id>`` /
  ``conn``: ``player``, ``node``, ``game``; a channel's member: ``livechannel#<channel>`` /
  ``<id>``: ``player``, ``node``;
- a chat message: ``livechat#<channel>`` / ``<at, 15 digits>#<random>``: ``from``, ``text``;
  a player's send slots: ``liverate#<player>`` / ``slot#<k>`` (k < the limit): ``at``.

Every item carries ``expiresAt`` (epoch ms; reads ignore items past it, since DynamoDB's TTL
deletes late) and ``expiration`` (epoch seconds: the table's TTL attribute).

An answer is one transaction: the game's condition (open, this question, before the
deadline, started, not paused; in live mode for a right answer an update that also claims
the question's first correct answer and closes it, bumping the version), the answer's
conditional put and the player's score added on the condition that the player is in the
game. A host action is an update on the condition that ``version`` is unchanged. Joining is
a transaction of the player's conditional put and the append to ``players``. A chat send is
allowed by the first of the player's slots a conditional put can take (a free slot, or one
whose send left the window): atomic without a read.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import call, expiring, transact
from adapters.trivia_documents import content_of, quiz_document
from domain.shared.connections import Connection
from domain.trivia.errors import (
    AlreadyAnsweredError,
    GameEndedError,
    GameNotStartedError,
    LiveNotAllowedError,
    NotInGameError,
    QuestionClosedError,
    StaleLiveGameError,
    TriviaStoreUnavailableError,
    UnknownGameError,
)
from domain.trivia.live import AnswerOutcome, ChatMessage, LiveGame, LiveState, Reveal
from domain.trivia.model import Mode

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

#: How long a game's items live after its last host action (the Redis TTL's twin).
LIVE_TTL_MS = 24 * 3600 * 1000
WHAT = "trivia table"


def _live(expires_at: int, item: dict[str, Any]) -> bool:
    return int(item.get("expiresAt", 0)) > expires_at


class _LiveTable:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Any, **kwargs: Any) -> Any:
        return await call(TriviaStoreUnavailableError, WHAT, fn, **kwargs)

    async def _query(
        self, pk: str, begins: str | None = None, **extra: Any
    ) -> list[dict[str, Any]]:
        """Every item of the partition (whose sort key ``begins`` so), all pages, consistently."""
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        condition = "PK = :pk" if begins is None else "PK = :pk AND begins_with(SK, :begins)"
        named = values(pk=pk) if begins is None else values(pk=pk, begins=begins)
        while True:
            page = await self._run(
                self._client.query,
                TableName=self._table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=named,
                ConsistentRead=True,
                **extra,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            items += [from_item(i) for i in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    async def _delete_all(self, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests: Any = [
                {"DeleteRequest": {"Key": to_item({"PK": pk, "SK": sk})}}
                for pk, sk in keys[start : start + 25]
            ]
            pending: Any = {self._table: requests}
            for _ in range(10):  # unprocessed deletes, asked again (bounded)
                answer = await self._run(self._client.batch_write_item, RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break


def _game_key(game_id: str) -> dict[str, Any]:
    return to_item({"PK": f"live#{game_id}", "SK": "game"})


def _now() -> int:
    return int(time.time() * 1000)


class DynamoDBLiveGameStore(_LiveTable):
    """LiveGameStore in DynamoDB (see the module docstring)."""

    async def create(self, game: LiveGame) -> None:
        expires = expiring(_now() + LIVE_TTL_MS)
        item = {
            "PK": f"live#{game.game_id}", "SK": "game", **_gate(game), **expires,
            "live": game.mode is Mode.LIVE, "version": game.version,
            "players": list(game.players),
            "first": {str(n): p for n, p in game.first_correct.items()},
        }  # fmt: skip
        puts: list[dict[str, Any]] = [item]
        for player in game.players:
            puts.append({
                "PK": f"live#{game.game_id}", "SK": f"player#{player}", **expires,
                "score": game.scores.get(player, 0), "correct": game.correct.get(player, 0),
            })  # fmt: skip
        for number, player in game.answered:
            puts.append(
                {"PK": f"liveanswers#{game.game_id}", "SK": f"{number}#{player}", **expires}
            )
        listed = f"{game.hosted_at:015d}#{game.game_id}"
        puts.append({"PK": "livegames", "SK": listed, **expires})
        for start in range(0, len(puts), 25):
            requests: Any = [{"PutRequest": {"Item": to_item(p)}} for p in puts[start : start + 25]]
            await self._run(self._client.batch_write_item, RequestItems={self._table: requests})

    async def get(self, game_id: str) -> LiveGame | None:
        items = await self._query(f"live#{game_id}")
        gate = next((i for i in items if i["SK"] == "game"), None)
        if gate is None or not _live(_now(), gate):
            return None
        players = {i["SK"].removeprefix("player#"): i for i in items if i["SK"] != "game"}
        answers: list[dict[str, Any]] = []
        for number in gate["open"]:  # the open questions' answers only: the rest are settled
            answers += await self._query(
                f"liveanswers#{game_id}", f"{number}#", ProjectionExpression="SK"
            )
        doc = json.loads(gate["doc"])
        return LiveGame(
            game_id,
            doc["quizId"],
            doc["host"],
            content_of(doc["content"]),
            doc["questionSeconds"],
            LiveState(gate["state"]),
            bool(gate["started"]),
            [str(p) for p in gate["players"]],
            {p: int(i["score"]) for p, i in players.items()},
            {p: int(i["correct"]) for p, i in players.items()},
            doc["roundIndex"],
            tuple(int(n) for n in gate["open"]),
            None if gate["closes"] == 0 else int(gate["closes"]),
            {_answered(a["SK"]) for a in answers},
            {int(n): str(p) for n, p in gate["first"].items()},
            None if gate["paused"] == 0 else int(gate["paused"]),
            int(gate["version"]),
            doc["hostedAt"],
        )

    async def save(self, game: LiveGame) -> LiveGame:
        gate = _gate(game)
        names = {f"#{k}": k for k in gate} | {"#version": "version"}
        sets = ", ".join(f"#{k} = :{k}" for k in gate)
        try:
            await self._run(
                self._client.update_item,
                TableName=self._table,
                Key=_game_key(game.game_id),
                UpdateExpression=f"SET {sets}, #version = #version + :one, "
                "expiresAt = :expiresAt, expiration = :expiration",
                ConditionExpression="#version = :version",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(
                    **gate, one=1, version=game.version, **expiring(_now() + LIVE_TTL_MS)
                ),
            )
        except ClientError:
            if await self.get(game.game_id) is None:
                raise UnknownGameError(game.game_id) from None
            raise StaleLiveGameError(f"live game {game.game_id} changed") from None
        return replace(game, version=game.version + 1)  # not read again

    async def record_answer(
        self, game_id: str, player: str, number: int, correct: bool, now: int
    ) -> AnswerOutcome:
        game = await self._gate_of(game_id)
        early = _refused_by(game, number, now)
        if early is not None:  # most refusals need no transaction (the game says so)
            raise early
        first = correct and bool(game["live"])
        condition = (
            "#state = :question AND #started = :yes AND #paused = :zero AND "
            "contains(#open, :number) AND #closes > :now"
        )
        names = {"#state": "state", "#started": "started", "#paused": "paused",
                 "#open": "open", "#closes": "closes"}  # fmt: skip
        gate_values: dict[str, object] = {
            "question": LiveState.QUESTION.value, "yes": True, "zero": 0, "number": number,
            "now": now,
        }  # fmt: skip
        gate_action: dict[str, Any] = {
            "TableName": self._table,
            "Key": _game_key(game_id),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if first:
            gate_action["UpdateExpression"] = (
                "SET #first.#n = :player, #state = :closed, #closes = :zero, "
                "#version = #version + :one"
            )
            gate_action["ConditionExpression"] = condition + " AND attribute_not_exists(#first.#n)"
            names |= {"#first": "first", "#n": str(number), "#version": "version"}
            gate_values |= {"player": player, "closed": LiveState.CLOSED.value, "one": 1}
        gate_action["ExpressionAttributeValues"] = values(**gate_values)
        expires = expiring(now + LIVE_TTL_MS)
        answer = to_item({"PK": f"liveanswers#{game_id}", "SK": f"{number}#{player}", **expires})
        actions: list[dict[str, Any]] = [
            {"Update": gate_action} if first else {"ConditionCheck": gate_action},
            {"Put": {"TableName": self._table, "Item": answer,
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": {
                "TableName": self._table,
                "Key": to_item({"PK": f"live#{game_id}", "SK": f"player#{player}"}),
                "UpdateExpression": "ADD score :s, correct :c",
                "ConditionExpression": "attribute_exists(PK)",
                "ExpressionAttributeValues": values(s=1 if correct else 0, c=1 if correct else 0),
            }},
        ]  # fmt: skip
        reasons = await _transact(self._client, actions)
        if reasons:
            raise await self._refusal(game_id, player, number, now, reasons)
        if not first:
            return AnswerOutcome(number, correct)
        stored = await self.get(game_id)
        if stored is None:
            raise UnknownGameError(game_id)
        questions = stored.content.questions
        reveals = tuple(
            Reveal(n, questions[n - 1].correct_answer(), questions[n - 1].follow_up)
            for n in (int(n) for n in game["open"])
        )
        return AnswerOutcome(number, True, True, reveals)

    async def _refusal(
        self, game_id: str, player: str, number: int, now: int, reasons: list[str]
    ) -> Exception:
        """The domain's error for a cancelled answer, checked in the rule's order."""
        game = await self._gate_of(game_id)
        if game["state"] == LiveState.ENDED.value:
            return GameEndedError("The game has ended.")
        if reasons[2] == "ConditionalCheckFailed":
            return NotInGameError("Join the game to answer.")
        refused = _refused_by(game, number, now)
        if refused is not None:
            return refused
        if reasons[0] == "ConditionalCheckFailed":
            return QuestionClosedError(f"Question {number} is not open.")
        if reasons[1] == "ConditionalCheckFailed":
            return AlreadyAnsweredError(f"Question {number} is answered already.")
        return TriviaStoreUnavailableError(f"The answer was cancelled: {reasons}")

    async def _gate_of(self, game_id: str) -> dict[str, Any]:
        answer = await self._run(
            self._client.get_item, TableName=self._table, Key=_game_key(game_id),
            ConsistentRead=True,
        )  # fmt: skip
        item = answer.get("Item")
        if item is None or not _live(_now(), from_item(item)):
            raise UnknownGameError(game_id)
        return from_item(item)

    async def add_player(self, game_id: str, player: str) -> bool:
        expires = expiring(_now() + LIVE_TTL_MS)
        item = {"PK": f"live#{game_id}", "SK": f"player#{player}", "score": 0, "correct": 0}
        actions: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": to_item({**item, **expires}),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": {
                "TableName": self._table, "Key": _game_key(game_id),
                "UpdateExpression": "SET #players = list_append(#players, :p)",
                "ConditionExpression": "attribute_exists(PK) AND #state <> :ended",
                "ExpressionAttributeNames": {"#players": "players", "#state": "state"},
                "ExpressionAttributeValues": values(p=[player], ended=LiveState.ENDED.value),
            }},
        ]  # fmt: skip
        reasons = await _transact(self._client, actions)
        if not reasons:
            return True
        if reasons[1] == "ConditionalCheckFailed":
            game = await self._gate_of(game_id)  # UnknownGameError when there is none
            if game["state"] == LiveState.ENDED.value:
                raise GameEndedError("The game has ended.")
        return False  # in already

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        now = _now()
        start = {"ExclusiveStartKey": to_item({"PK": "livegames", "SK": cursor})} if cursor else {}
        found: list[str] = []
        while True:
            page = await self._run(
                self._client.query,
                TableName=self._table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues=values(pk="livegames"),
                ConsistentRead=True,
                Limit=limit + 1 - len(found),
                **start,
            )
            found += [
                item["SK"] for item in map(from_item, page.get("Items", [])) if _live(now, item)
            ]
            last = page.get("LastEvaluatedKey")
            if len(found) > limit or not last:
                break
            start = {"ExclusiveStartKey": last}
        more = len(found) > limit
        page_ids = found[:limit]
        return [s.partition("#")[2] for s in page_ids], page_ids[-1] if more else None

    async def delete(self, game_id: str) -> None:
        items = await self._query(f"live#{game_id}")
        keys = [(i["PK"], i["SK"]) for i in items]
        gate = next((i for i in items if i["SK"] == "game"), None)
        answers = await self._query(f"liveanswers#{game_id}", ProjectionExpression="PK, SK")
        keys += [(a["PK"], a["SK"]) for a in answers]
        if gate is not None:
            doc = json.loads(gate["doc"])
            keys.append(("livegames", f"{doc['hostedAt']:015d}#{game_id}"))
        await self._delete_all(keys)


def _refused_by(game: dict[str, Any], number: int, now: int) -> Exception | None:
    """What the game item alone refuses an answer for (not whether the player is in it)."""
    if game["state"] == LiveState.ENDED.value:
        return GameEndedError("The game has ended.")
    if not game["started"]:
        return GameNotStartedError("The game has not started.")
    if game["paused"] != 0:
        return LiveNotAllowedError("The game is paused until the host is back.")
    late = game["closes"] != 0 and now >= int(game["closes"])
    if late or game["state"] != LiveState.QUESTION.value or number not in game["open"]:
        return QuestionClosedError(f"Question {number} is not open.")
    return None


async def _transact(client: DynamoDBClient, actions: list[dict[str, Any]]) -> list[str]:
    return await transact(client, TriviaStoreUnavailableError, WHAT, actions)


def _gate(game: LiveGame) -> dict[str, Any]:
    doc = {
        "quizId": game.quiz_id,
        "host": game.host,
        "content": quiz_document(game.content),
        "questionSeconds": game.question_seconds,
        "roundIndex": game.round_index,
        "hostedAt": game.hosted_at,
    }
    return {
        "doc": json.dumps(doc, separators=(",", ":")),
        "state": game.state.value,
        "started": game.started,
        "paused": game.paused_at or 0,
        "open": list(game.open_numbers),
        "closes": game.closes_at or 0,
    }


def _answered(sort_key: str) -> tuple[int, str]:
    number, _, player = sort_key.partition("#")
    return int(number), player


class DynamoDBConnectionRegistry(_LiveTable):
    """ConnectionRegistry in DynamoDB (see the module docstring): reads skip expired items."""

    async def issue_ticket(self, ticket: str, player: str, expires_at: int) -> None:
        item = {"PK": f"liveticket#{ticket}", "SK": "ticket", "player": player}
        await self._run(
            self._client.put_item,
            TableName=self._table,
            Item=to_item({**item, **expiring(expires_at)}),
        )

    async def redeem_ticket(self, ticket: str, now: int) -> str | None:
        try:
            answer = await self._run(
                self._client.delete_item,
                TableName=self._table,
                Key=to_item({"PK": f"liveticket#{ticket}", "SK": "ticket"}),
                ConditionExpression="expiresAt > :now",
                ExpressionAttributeValues=values(now=now),
                ReturnValues="ALL_OLD",
            )
        except ClientError:
            return None  # unknown, used (deleted), or expired
        return str(from_item(answer["Attributes"])["player"])

    async def add(self, connection: Connection) -> None:
        expires = expiring(connection.expires_at)
        await self._run(
            self._client.put_item, TableName=self._table, Item=to_item({
                "PK": f"liveconn#{connection.connection_id}", "SK": "conn", **expires,
                "player": connection.player, "node": connection.node or "",
                "game": connection.game_id or "", "greeted": connection.greeted,
            }),
        )  # fmt: skip
        await self._put_member("global", connection)
        await self._put_member(f"player:{connection.player}", connection)

    async def _put_member(self, channel: str, connection: Connection) -> None:
        await self._run(
            self._client.put_item, TableName=self._table, Item=to_item({
                "PK": f"livechannel#{channel}", "SK": connection.connection_id,
                "player": connection.player, "node": connection.node or "",
                **expiring(connection.expires_at),
            }),
        )  # fmt: skip

    async def get(self, connection_id: str, now: int) -> Connection | None:
        answer = await self._run(
            self._client.get_item, TableName=self._table,
            Key=to_item({"PK": f"liveconn#{connection_id}", "SK": "conn"}), ConsistentRead=True,
        )  # fmt: skip
        item = answer.get("Item")
        if item is None:
            return None
        fields = from_item(item)
        if not _live(now, fields):
            return None
        return Connection(
            connection_id, fields["player"], int(fields["expiresAt"]),
            fields["node"] or None, fields["game"] or None, bool(fields.get("greeted", True)),
        )  # fmt: skip

    async def enter(self, connection_id: str, game_id: str, now: int) -> Connection | None:
        connection = await self.get(connection_id, now)
        if connection is None:
            return None
        if connection.game_id is not None:
            await self._delete_all([(f"livechannel#game:{connection.game_id}", connection_id)])
        entered = Connection(
            connection_id, connection.player, connection.expires_at, connection.node, game_id
        )
        await self._run(
            self._client.update_item, TableName=self._table,
            Key=to_item({"PK": f"liveconn#{connection_id}", "SK": "conn"}),
            UpdateExpression="SET game = :g", ExpressionAttributeValues=values(g=game_id),
        )  # fmt: skip
        await self._put_member(f"game:{game_id}", entered)
        return entered

    async def remove(self, connection_id: str) -> Connection | None:
        connection = await self.get(connection_id, 0)
        if connection is None:
            return None
        keys = [(f"liveconn#{connection_id}", "conn"), ("livechannel#global", connection_id),
                (f"livechannel#player:{connection.player}", connection_id)]  # fmt: skip
        if connection.game_id is not None:
            keys.append((f"livechannel#game:{connection.game_id}", connection_id))
        await self._delete_all(keys)
        return connection

    async def members(self, channel: str, now: int) -> list[Connection]:
        game_id = channel.removeprefix("game:") if channel.startswith("game:") else None
        return [
            Connection(i["SK"], i["player"], int(i["expiresAt"]), i["node"] or None, game_id)
            for i in await self._query(f"livechannel#{channel}")
            if _live(now, i)
        ]


class DynamoDBChatLog(_LiveTable):
    """ChatLog in DynamoDB (see the module docstring)."""

    async def allow(self, player: str, now: int, limit: int, window_ms: int) -> bool:
        first = secrets.randbelow(limit)  # concurrent senders start on different slots
        for k in range(limit):
            slot = (first + k) % limit
            try:
                await self._run(
                    self._client.put_item,
                    TableName=self._table,
                    Item=to_item({
                        "PK": f"liverate#{player}", "SK": f"slot#{slot}", "at": now,
                        **expiring(now + window_ms),
                    }),
                    ConditionExpression="attribute_not_exists(PK) OR #at <= :left",
                    ExpressionAttributeNames={"#at": "at"},
                    ExpressionAttributeValues=values(left=now - window_ms),
                )  # fmt: skip
            except ClientError:
                continue  # taken by a send still in the window
            return True
        return False

    async def append(self, message: ChatMessage, keep: int) -> None:
        pk = f"livechat#{message.channel}"
        await self._run(
            self._client.put_item, TableName=self._table, Item=to_item({
                "PK": pk, "SK": f"{message.at:015d}#{secrets.token_hex(4)}",
                "from": message.sender, "text": message.text, "at": message.at,
                **expiring(message.at + LIVE_TTL_MS),
            }),
        )  # fmt: skip
        newest = await self._query(pk, ScanIndexForward=False, ProjectionExpression="PK, SK")
        await self._delete_all([(i["PK"], i["SK"]) for i in newest[keep:]])

    async def history(self, channel: str) -> list[ChatMessage]:
        now = _now()
        return [
            ChatMessage(channel, i["from"], i["text"], int(i["at"]))
            for i in await self._query(f"livechat#{channel}")
            if _live(now, i)
        ]

    async def forget(self, channel: str) -> None:
        pk = f"livechat#{channel}"
        await self._delete_all(
            [(i["PK"], i["SK"]) for i in await self._query(pk, ProjectionExpression="PK, SK")]
        )
