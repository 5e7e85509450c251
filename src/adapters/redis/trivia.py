"""Hosted live games in Redis, so several server processes (or tasks) serve one game.

A game ``G`` is five keys sharing the hash tag ``{G}`` (one cluster slot, so its scripts run
on ElastiCache in cluster mode), each with a TTL refreshed on activity and deleted by name at
the end (never ``KEYS`` or ``SCAN``):

- ``trivia:live:{G}:gate``: hash: ``doc`` (the host's side as JSON: quiz copy, round),
  and the fields an answer checks: ``state``, ``started``, ``paused``, ``open`` (question
  numbers), ``closes`` (epoch ms), ``live``, ``version``;
- ``...:answered:<n>``: set of ``<n>:<player>``, one per question (a host action reads only
  the open questions', so its cost does not grow with the game);
- ``...:scores``, ``...:correct``: hashes player -> points, correct answers;
- ``...:first``: hash question number -> the player whose correct answer came first;
- ``...:players``: list of the players in the order they joined (a join is one script);

and the listing of running games, ``trivia:live:games`` (see ``LIVE_INDEX``).

An answer is one script (``_ANSWER``): every check, "one answer per player per question"
(``SADD``) and, in live mode, "the first correct answer" (the first to reach the script while
the question is open wins and closes it), in one atomic step. A host action is a versioned
save (``_SAVE``) that writes only the host's side; a script that changes the state (closing a
question) bumps the version, so a host action computed before it is read again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

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

log = logging.getLogger(__name__)
#: Pauses between attempts to subscribe again to the fan-out channel.
#: Seconds a game's keys live after its last activity.
LIVE_TTL_SECONDS = 24 * 3600
#: The running games, by when they were hosted: one sorted set of ``<ms> <gameId>`` (all
#: scores 0, read by lex range), outside every game's slot, so it is written beside a game's
#: keys and never inside its scripts.
LIVE_INDEX = "trivia:live:games"

_REFRESH = """
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
"""

_SAVE = (
    """
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return -1 end
if version ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'state', ARGV[4], 'started', ARGV[5],
  'paused', ARGV[6], 'open', ARGV[7], 'closes', ARGV[8])
"""
    + _REFRESH
    + "\nreturn redis.call('HINCRBY', KEYS[1], 'version', 1)\n"
)

_ANSWER = (
    """
local g = redis.call('HMGET', KEYS[1], 'state', 'started', 'paused', 'open', 'closes', 'live')
if not g[1] then return {'unknown', ''} end
if g[1] == 'ended' then return {'ended', ''} end
local player, number, now = ARGV[2], ARGV[3], tonumber(ARGV[5])
if redis.call('HEXISTS', KEYS[3], player) == 0 then return {'not-in-game', ''} end
if g[2] ~= '1' then return {'not-started', ''} end
if g[3] ~= '' then return {'paused', ''} end
-- past the deadline: refused; closing (and announcing) it is the clock's (expire)
if g[1] == 'question' and now >= tonumber(g[5]) then return {'closed', ''} end
local open = false
for n in string.gmatch(g[4], '[^,]+') do if n == number then open = true end end
if g[1] ~= 'question' or not open then return {'closed', ''} end
if redis.call('SADD', KEYS[2], number .. ':' .. player) == 0 then return {'already', ''} end
"""
    + _REFRESH
    + """
if ARGV[4] ~= '1' then return {'wrong', ''} end
redis.call('HINCRBY', KEYS[4], player, 1)
redis.call('HINCRBY', KEYS[3], player, 1)
if g[6] ~= '1' then return {'right', ''} end
redis.call('HSET', KEYS[5], number, player)
redis.call('HSET', KEYS[1], 'state', 'closed', 'closes', '')
redis.call('HINCRBY', KEYS[1], 'version', 1)
return {'first', g[4]}
"""
)

_JOIN = (
    """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state == 'ended' then return -2 end
if redis.call('HSETNX', KEYS[3], ARGV[2], 0) == 0 then return 0 end
redis.call('HSETNX', KEYS[4], ARGV[2], 0)
redis.call('RPUSH', KEYS[6], ARGV[2])
"""
    + _REFRESH
    + "\nreturn 1\n"
)

_REFUSALS: dict[str, type[Exception]] = {
    "ended": GameEndedError,
    "not-in-game": NotInGameError,
    "not-started": GameNotStartedError,
    "paused": LiveNotAllowedError,
    "closed": QuestionClosedError,
    "already": AlreadyAnsweredError,
}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisLiveGameStore:
    """LiveGameStore on Redis (see the module docstring for the layout)."""

    def __init__(self, redis: Redis, ttl_seconds: int = LIVE_TTL_SECONDS) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._save = redis.register_script(_SAVE)
        self._answer = redis.register_script(_ANSWER)
        self._join = redis.register_script(_JOIN)

    @staticmethod
    def _keys(game_id: str, number: int = 0) -> list[str]:
        """The game's keys; the second is question ``number``'s answers."""
        tag = f"trivia:live:{{{game_id}}}"
        parts = ("gate", f"answered:{number}", "scores", "correct", "first", "players")
        return [f"{tag}:{part}" for part in parts]

    async def create(self, game: LiveGame) -> None:
        keys = self._keys(game.game_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                live = "1" if game.mode is Mode.LIVE else "0"
                listed = f"{game.hosted_at:015d} {game.game_id}"
                gate: dict[Any, Any] = {
                    **_gate(game), "live": live, "version": game.version, "listed": listed,
                }  # fmt: skip
                pipe.hset(keys[0], mapping=gate)
                pipe.zadd(LIVE_INDEX, {listed: 0})
                for number in sorted({n for n, _ in game.answered}):
                    answers = self._keys(game.game_id, number)[1]
                    pipe.sadd(answers, *(f"{n}:{p}" for n, p in game.answered if n == number))
                    pipe.expire(answers, self._ttl)
                if game.players:
                    pipe.rpush(keys[5], *game.players)
                for key, values in ((keys[2], game.scores), (keys[3], game.correct),
                                    (keys[4], game.first_correct)):  # fmt: skip
                    if values:
                        pipe.hset(key, mapping=values)  # type: ignore[arg-type]
                for key in keys:
                    pipe.expire(key, self._ttl)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def get(self, game_id: str) -> LiveGame | None:
        keys = self._keys(game_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(keys[0])
                pipe.hgetall(keys[2])
                pipe.hgetall(keys[3])
                pipe.hgetall(keys[4])
                pipe.lrange(keys[5], 0, -1)
                gate, scores, correct, first, players = await pipe.execute()
            if not gate:
                return None
            fields = {_text(k): _text(v) for k, v in gate.items()}
            open_numbers = [int(n) for n in fields["open"].split(",") if n]
            answered: list[Any] = []
            if open_numbers:  # the open questions' answers only: the others are settled
                async with self._redis.pipeline(transaction=False) as pipe:
                    for number in open_numbers:
                        pipe.smembers(self._keys(game_id, number)[1])
                    for members in await pipe.execute():
                        answered += members
        except RedisError as exc:
            raise _unavailable(exc) from exc
        doc = json.loads(fields["doc"])
        game = LiveGame(
            game_id,
            doc["quizId"],
            doc["host"],
            content_of(doc["content"]),
            doc["questionSeconds"],
            LiveState(fields["state"]),
            fields["started"] == "1",
            [_text(p) for p in players],
            {_text(p): int(v) for p, v in scores.items()},
            {_text(p): int(v) for p, v in correct.items()},
            doc["roundIndex"],
            tuple(int(n) for n in fields["open"].split(",") if n),
            int(fields["closes"]) if fields["closes"] else None,
            {_answered(a) for a in answered},
            {int(n): _text(p) for n, p in first.items()},
            int(fields["paused"]) if fields["paused"] else None,
            int(fields["version"]),
            doc["hostedAt"],
        )
        return game

    async def save(self, game: LiveGame) -> LiveGame:
        gate = _gate(game)
        args: list[str | int] = [
            self._ttl, game.version, gate["doc"], gate["state"], gate["started"],
            gate["paused"], gate["open"], gate["closes"],
        ]  # fmt: skip
        try:
            version = await self._save(keys=self._keys(game.game_id), args=args)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if version == -1:
            raise UnknownGameError(game.game_id)
        if version == 0:
            raise StaleLiveGameError(f"live game {game.game_id} changed")
        return replace(game, version=int(version))  # not read again: a host action is small

    async def record_answer(
        self, game_id: str, player: str, number: int, correct: bool, now: int
    ) -> AnswerOutcome:
        args: list[str | int] = [self._ttl, player, number, "1" if correct else "0", now]
        try:
            keys = self._keys(game_id, number)
            outcome, opened = await self._answer(keys=keys, args=args)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        result = _text(outcome)
        if result == "unknown":
            raise UnknownGameError(game_id)
        if result in _REFUSALS:
            raise _REFUSALS[result](f"Question {number}: {result.replace('-', ' ')}.")
        if result != "first":
            return AnswerOutcome(number, result == "right")
        game = await self.get(game_id)
        if game is None:
            raise UnknownGameError(game_id)
        numbers = [int(n) for n in _text(opened).split(",") if n]
        questions = game.content.questions
        reveals = tuple(
            Reveal(n, questions[n - 1].correct_answer(), questions[n - 1].follow_up)
            for n in numbers
        )
        return AnswerOutcome(number, True, True, reveals)

    async def add_player(self, game_id: str, player: str) -> bool:
        try:
            added = await self._join(keys=self._keys(game_id), args=[self._ttl, player])
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if added == -1:
            raise UnknownGameError(game_id)
        if added == -2:
            raise GameEndedError("The game has ended.")
        return bool(added)

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        low = "-" if cursor is None else f"({cursor}"
        try:
            ids = await self._redis.zrangebylex(LIVE_INDEX, low, "+", 0, limit + 1)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        page = [_text(i) for i in ids]
        more = len(page) > limit
        page = page[:limit]
        return [i.partition(" ")[2] for i in page], page[-1] if more else None

    async def delete(self, game_id: str) -> None:
        keys = self._keys(game_id)
        try:
            listed, doc = await self._redis.hmget(keys[0], ["listed", "doc"])
            questions = len(json.loads(doc)["content"]["questions"]) if doc is not None else 0
            answers = [self._keys(game_id, n)[1] for n in range(1, questions + 1)]
            async with self._redis.pipeline(transaction=False) as pipe:
                if listed is not None:
                    pipe.zrem(LIVE_INDEX, listed)
                pipe.delete(*keys, *answers)  # every key by its name
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc


def _gate(game: LiveGame) -> dict[str, str]:
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
        "started": "1" if game.started else "0",
        "paused": "" if game.paused_at is None else str(game.paused_at),
        "open": ",".join(map(str, game.open_numbers)),
        "closes": "" if game.closes_at is None else str(game.closes_at),
    }


def _answered(member: Any) -> tuple[int, str]:
    number, _, player = _text(member).partition(":")
    return int(number), player


def _unavailable(exc: RedisError) -> TriviaStoreUnavailableError:
    return TriviaStoreUnavailableError(f"The live-game store is unreachable: {type(exc).__name__}")


def _channel_key(channel: str) -> str:
    """``global`` -> ``trivia:live:global:members``; ``player:P`` -> one per player (by
    digest: usernames hold any character); ``game:G`` -> under G's hash tag, so a game's keys
    are all deleted by name at its end."""
    if channel == "global":
        return "trivia:live:global:members"
    if channel.startswith("player:"):
        digest = hashlib.sha256(channel.removeprefix("player:").encode()).hexdigest()
        return f"trivia:live:player:{digest}:members"
    return f"trivia:live:{{{channel.removeprefix('game:')}}}:members"


def _member(connection: Connection) -> str:
    return json.dumps([connection.connection_id, connection.player, connection.node])


class RedisConnectionRegistry:
    """ConnectionRegistry on Redis: a ticket is a key (``SET NX PX``, redeemed by
    ``GETDEL``); a connection is a hash with a TTL; a channel is a sorted set of its
    connections scored by their expiry, so reads skip expired ones and trim them."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def issue_ticket(self, ticket: str, player: str, expires_at: int) -> None:
        try:
            await self._redis.set(f"trivia:live:ticket:{ticket}", player, pxat=expires_at, nx=True)
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def redeem_ticket(self, ticket: str, now: int) -> str | None:
        try:
            player = await self._redis.getdel(f"trivia:live:ticket:{ticket}")
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return None if player is None else _text(player)  # expired keys are gone (PXAT)

    async def add(self, connection: Connection) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                key = f"trivia:live:conn:{connection.connection_id}"
                pipe.hset(key, mapping=_connection_fields(connection))
                pipe.pexpireat(key, connection.expires_at)
                member = {_member(connection): connection.expires_at}
                pipe.zadd(_channel_key("global"), member)
                mine = _channel_key(f"player:{connection.player}")
                pipe.zadd(mine, member)
                pipe.expire(mine, LIVE_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def get(self, connection_id: str, now: int) -> Connection | None:
        try:
            fields = await self._redis.hgetall(f"trivia:live:conn:{connection_id}")
        except RedisError as exc:
            raise _unavailable(exc) from exc
        if not fields:
            return None
        connection = _connection_of(connection_id, fields)
        return connection if connection.expires_at > now else None

    async def enter(self, connection_id: str, game_id: str, now: int) -> Connection | None:
        connection = await self.get(connection_id, now)
        if connection is None:
            return None
        entered = Connection(
            connection_id, connection.player, connection.expires_at, connection.node, game_id
        )
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                if connection.game_id is not None:
                    pipe.zrem(_channel_key(f"game:{connection.game_id}"), _member(connection))
                pipe.hset(f"trivia:live:conn:{connection_id}", "game", game_id)
                channel = _channel_key(f"game:{game_id}")
                pipe.zadd(channel, {_member(entered): entered.expires_at})
                pipe.expire(channel, LIVE_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return entered

    async def remove(self, connection_id: str) -> Connection | None:
        key = f"trivia:live:conn:{connection_id}"
        try:
            fields = await self._redis.hgetall(key)
            if not fields:
                return None
            connection = _connection_of(connection_id, fields)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zrem(_channel_key("global"), _member(connection))
                pipe.zrem(_channel_key(f"player:{connection.player}"), _member(connection))
                if connection.game_id is not None:
                    pipe.zrem(_channel_key(f"game:{connection.game_id}"), _member(connection))
                pipe.delete(key)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc
        return connection

    async def members(self, channel: str, now: int) -> list[Connection]:
        key = _channel_key(channel)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(key, "-inf", now)  # the expired, trimmed as they are met
                pipe.zrangebyscore(key, f"({now}", "+inf")
                _, found = await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc
        game_id = channel.removeprefix("game:") if channel.startswith("game:") else None
        members = []
        for raw in found:
            connection_id, player, node = json.loads(raw)
            members.append(Connection(connection_id, player, 0, node, game_id))
        return members


def _connection_fields(connection: Connection) -> dict[Any, Any]:
    return {
        "player": connection.player,
        "node": connection.node or "",
        "game": connection.game_id or "",
        "expires": str(connection.expires_at),
        "greeted": "1" if connection.greeted else "0",
    }


def _connection_of(connection_id: str, fields: dict[Any, Any]) -> Connection:
    values = {_text(k): _text(v) for k, v in fields.items()}
    return Connection(
        connection_id,
        values["player"],
        int(values["expires"]),
        values["node"] or None,
        values["game"] or None,
        values.get("greeted", "1") == "1",
    )


_ALLOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisChatLog:
    """ChatLog on Redis: a channel's history is a capped list; a player's rate a sorted set
    of send times, checked and added to by one script."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._allow = redis.register_script(_ALLOW)

    @staticmethod
    def _key(channel: str) -> str:
        if channel == "global":
            return "trivia:live:global:chat"
        return f"trivia:live:{{{channel.removeprefix('game:')}}}:chat"

    async def allow(self, player: str, now: int, limit: int, window_ms: int) -> bool:
        key = f"trivia:live:rate:{hashlib.sha256(player.encode()).hexdigest()[:32]}"
        try:
            return bool(
                await self._allow(keys=[key], args=[now, limit, window_ms, secrets.token_hex(8)])
            )
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def append(self, message: ChatMessage, keep: int) -> None:
        key = self._key(message.channel)
        item = json.dumps([message.sender, message.text, message.at], ensure_ascii=False)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, item)
                pipe.ltrim(key, -keep, -1)
                pipe.expire(key, LIVE_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            raise _unavailable(exc) from exc

    async def history(self, channel: str) -> list[ChatMessage]:
        try:
            items = await self._redis.lrange(self._key(channel), 0, -1)
        except RedisError as exc:
            raise _unavailable(exc) from exc
        messages = []
        for item in items:
            sender, text, at = json.loads(item)
            messages.append(ChatMessage(channel, sender, text, at))
        return messages

    async def forget(self, channel: str) -> None:
        try:
            await self._redis.delete(self._key(channel))
        except RedisError as exc:
            raise _unavailable(exc) from exc
