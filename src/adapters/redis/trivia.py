"""Hosted live games in Redis, so several server processes (or tasks) serve one game.

A game ``G`` is five keys sharing the hash tag ``{G}`` (one cluster slot, so its scripts run
on ElastiCache in cluster mode), each with a TTL refreshed on activity and deleted by name at
the end (never ``KEYS`` or ``SCAN``):

- ``trivia:live:{G}:gate``: hash: ``doc`` (the host's side as JSON: quiz copy, players, round),
  and the fields an answer checks: ``state``, ``started``, ``paused``, ``open`` (question
  numbers), ``closes`` (epoch ms), ``live``, ``version``;
- ``...:answered``: set of ``<number>:<player>``;
- ``...:scores``, ``...:correct``: hashes player -> points, correct answers;
- ``...:first``: hash question number -> the player whose correct answer came first.

An answer is one script (``_ANSWER``): every check, "one answer per player per question"
(``SADD``) and, in live mode, "the first correct answer" (the first to reach the script while
the question is open wins and closes it), in one atomic step. A host action is a versioned
save (``_SAVE``) that writes only the host's side; a script that changes the state (closing a
question) bumps the version, so a host action computed before it is read again.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.trivia_documents import content_of, quiz_document
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
from domain.trivia.live import AnswerOutcome, LiveGame, LiveState, Reveal
from domain.trivia.model import Mode

#: Seconds a game's keys live after its last activity.
LIVE_TTL_SECONDS = 24 * 3600

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
for i = 9, #ARGV do
  redis.call('HSETNX', KEYS[3], ARGV[i], 0)
  redis.call('HSETNX', KEYS[4], ARGV[i], 0)
end
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
if g[1] == 'question' and now >= tonumber(g[5]) then
  redis.call('HSET', KEYS[1], 'state', 'closed', 'closes', '')
  redis.call('HINCRBY', KEYS[1], 'version', 1)
  return {'closed', ''}
end
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

    @staticmethod
    def _keys(game_id: str) -> list[str]:
        tag = f"trivia:live:{{{game_id}}}"
        return [f"{tag}:{part}" for part in ("gate", "answered", "scores", "correct", "first")]

    async def create(self, game: LiveGame) -> None:
        keys = self._keys(game.game_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                live = "1" if game.mode is Mode.LIVE else "0"
                gate: dict[Any, Any] = {**_gate(game), "live": live, "version": game.version}
                pipe.hset(keys[0], mapping=gate)
                if game.answered:
                    pipe.sadd(keys[1], *(f"{n}:{p}" for n, p in game.answered))
                for key, values in ((keys[2], game.scores), (keys[3], game.correct),
                                    (keys[4], game.first_correct)):  # fmt: skip
                    if values:
                        pipe.hset(key, mapping=values)  # type: ignore[arg-type]
                for key in keys:
                    pipe.expire(key, self._ttl)
                await pipe.execute()
        except RedisError as exc:
            raise TriviaStoreUnavailableError("The live-game store is unreachable.") from exc

    async def get(self, game_id: str) -> LiveGame | None:
        keys = self._keys(game_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(keys[0])
                pipe.smembers(keys[1])
                pipe.hgetall(keys[2])
                pipe.hgetall(keys[3])
                pipe.hgetall(keys[4])
                gate, answered, scores, correct, first = await pipe.execute()
        except RedisError as exc:
            raise TriviaStoreUnavailableError("The live-game store is unreachable.") from exc
        if not gate:
            return None
        fields = {_text(k): _text(v) for k, v in gate.items()}
        doc = json.loads(fields["doc"])
        game = LiveGame(
            game_id,
            doc["quizId"],
            doc["host"],
            content_of(doc["content"]),
            doc["questionSeconds"],
            LiveState(fields["state"]),
            fields["started"] == "1",
            list(doc["players"]),
            {_text(p): int(v) for p, v in scores.items()},
            {_text(p): int(v) for p, v in correct.items()},
            doc["roundIndex"],
            tuple(int(n) for n in fields["open"].split(",") if n),
            int(fields["closes"]) if fields["closes"] else None,
            {_answered(a) for a in answered},
            {int(n): _text(p) for n, p in first.items()},
            int(fields["paused"]) if fields["paused"] else None,
            int(fields["version"]),
        )
        return game

    async def save(self, game: LiveGame) -> LiveGame:
        gate = _gate(game)
        args: list[str | int] = [
            self._ttl, game.version, gate["doc"], gate["state"], gate["started"],
            gate["paused"], gate["open"], gate["closes"], *game.players,
        ]  # fmt: skip
        try:
            version = await self._save(keys=self._keys(game.game_id), args=args)
        except RedisError as exc:
            raise TriviaStoreUnavailableError("The live-game store is unreachable.") from exc
        if version == -1:
            raise UnknownGameError(game.game_id)
        if version == 0:
            raise StaleLiveGameError(f"live game {game.game_id} changed")
        saved = await self.get(game.game_id)
        if saved is None:
            raise UnknownGameError(game.game_id)
        return saved

    async def record_answer(
        self, game_id: str, player: str, number: int, correct: bool, now: int
    ) -> AnswerOutcome:
        args: list[str | int] = [self._ttl, player, number, "1" if correct else "0", now]
        try:
            outcome, opened = await self._answer(keys=self._keys(game_id), args=args)
        except RedisError as exc:
            raise TriviaStoreUnavailableError("The live-game store is unreachable.") from exc
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

    async def delete(self, game_id: str) -> None:
        try:
            await self._redis.delete(*self._keys(game_id))
        except RedisError as exc:
            raise TriviaStoreUnavailableError("The live-game store is unreachable.") from exc


def _gate(game: LiveGame) -> dict[str, str]:
    doc = {
        "quizId": game.quiz_id,
        "host": game.host,
        "content": quiz_document(game.content),
        "questionSeconds": game.question_seconds,
        "players": game.players,
        "roundIndex": game.round_index,
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
