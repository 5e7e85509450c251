"""Leaderboards in Redis sorted sets: every call is one server-side script, so one round trip
and atomic.

A board ``B`` is three keys sharing the hash tag ``{B}`` (one cluster slot):

- ``lb:{B}:meta``: hash with the board's policy, expiry and visibility;
- ``lb:{B}:z``: sorted set; the score is the entry's score in whole cents (exact in a double
  up to 2**53, far beyond the domain's 10**12 limit), the element is ``<tie><member>`` where
  ``<tie>`` is 13 digits that sort earlier achievements first among equal scores;
- ``lb:{B}:h``: hash member -> ``<tie><display JSON>``, to find a member's element.

No ``KEYS`` and no scans: a rank is ``ZCOUNT`` of the strictly higher scores (O(log n)).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from domain.leaderboards.errors import BoardNotFoundError, LeaderboardStoreUnavailableError
from domain.leaderboards.model import (
    Board,
    Entry,
    Page,
    Policy,
    RankedEntry,
    SubmitResult,
    Visibility,
    from_cents,
    from_tie_value,
    ranked,
    tie_value,
    to_cents,
)
from domain.shared.time import from_millis, to_millis

# Shared by the scripts: the board must exist; helpers to decode a member's stored entry.
_PRELUDE = """
local meta, z, h = KEYS[1], KEYS[2], KEYS[3]
if redis.call('exists', meta) == 0 then return redis.error_reply('NOBOARD') end
local function element(stored, member) return string.sub(stored, 1, 13) .. member end
local function entry_of(member)
  local stored = redis.call('hget', h, member)
  if not stored then return nil end
  local el = element(stored, member)
  return {member, redis.call('zscore', z, el), string.sub(stored, 1, 13), string.sub(stored, 14)}
end
local function rank_of_score(score)
  return 1 + redis.call('zcount', z, '(' .. score, '+inf')
end
-- rows of ZREVRANGE WITHSCORES -> {member, cents, tie, display} each, in board order
local function rows(flat)
  local out, members = {}, {}
  for i = 1, #flat, 2 do
    local member = string.sub(flat[i], 14)
    members[#members + 1] = member
    out[#out + 1] = {member, flat[i + 1], string.sub(flat[i], 1, 13)}
  end
  if #members > 0 then
    local stored = redis.call('hmget', h, unpack(members))
    for i, s in ipairs(stored) do out[i][4] = string.sub(s, 14) end
  end
  return out
end
local function first_rank(list)
  if #list == 0 then return 0 end
  return rank_of_score(list[1][2])
end
"""

_SUBMIT = (
    _PRELUDE
    + """
local policy, expire_at = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 4 do
  local member, cents, tie, display = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local current = entry_of(member)
  local new = nil
  if not current then
    new = {cents, tie, display}
  elseif policy == 'BEST' then
    if cents > tonumber(current[2]) then new = {cents, tie, display} end
  elseif policy == 'LATEST' then
    if cents ~= tonumber(current[2]) or tie ~= current[3] or display ~= current[4] then
      new = {cents, tie, display}
    end
  elseif policy == 'INCREMENT' then
    if cents ~= 0 then
      if display == '{}' then display = current[4] end
      new = {tonumber(current[2]) + cents, tie, display}
    end
  end
  if new then
    if current then redis.call('zrem', z, current[3] .. member) end
    local score = string.format('%.0f', new[1])
    redis.call('zadd', z, score, new[2] .. member)
    redis.call('hset', h, member, new[2] .. new[3])
    out[#out + 1] = {1, member, score, new[2], new[3]}
  else
    out[#out + 1] = {0, member, current[2], current[3], current[4]}
  end
end
if expire_at ~= '' then
  redis.call('expireat', z, expire_at)
  redis.call('expireat', h, expire_at)
end
return out
"""
)

_PAGE = (
    _PRELUDE
    + """
local offset, limit, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local list = {}
if limit > 0 then
  list = rows(redis.call('zrevrange', z, offset, offset + limit - 1, 'WITHSCORES'))
end
local me = {}
if member ~= '' then
  local current = entry_of(member)
  if current then me = {rank_of_score(current[2]), current} end
end
return {redis.call('zcard', z), first_rank(list), list, me}
"""
)

_AROUND = (
    _PRELUDE
    + """
local member, k = ARGV[1], tonumber(ARGV[2])
local stored = redis.call('hget', h, member)
if not stored then return {} end
local position = redis.call('zrevrank', z, element(stored, member))
local start = math.max(0, position - k)
local list = rows(redis.call('zrevrange', z, start, position + k, 'WITHSCORES'))
return {start, first_rank(list), list}
"""
)

_REMOVE = (
    _PRELUDE
    + """
local stored = redis.call('hget', h, ARGV[1])
if not stored then return 0 end
redis.call('zrem', z, element(stored, ARGV[1]))
redis.call('hdel', h, ARGV[1])
return 1
"""
)

_COUNT = _PRELUDE + "\nreturn redis.call('zcard', z)\n"

_CREATE = """
if redis.call('hsetnx', KEYS[1], 'policy', ARGV[1]) == 1 then
  redis.call('hset', KEYS[1], 'expires', ARGV[2])
  if ARGV[2] ~= '' then redis.call('expireat', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000)) end
end
-- A board stored before visibility existed takes the readers it is created with now.
redis.call('hsetnx', KEYS[1], 'visibility', ARGV[3])
return redis.call('hmget', KEYS[1], 'policy', 'expires', 'visibility')
"""


def _tie(moment: datetime) -> str:
    return f"{tie_value(moment):013d}"


def _entry(
    member: bytes | str, cents: bytes | str, tie: bytes | str, display: bytes | str
) -> Entry:
    return Entry(
        member.decode() if isinstance(member, bytes) else member,
        from_cents(int(cents)),
        from_tie_value(int(tie)),
        {} if display in _NO_DISPLAY else json.loads(display),
    )


_NO_DISPLAY = (b"{}", "{}", b"", "")


def _ranked_rows(rows: list[Any], first_rank: int, first_position: int) -> list[RankedEntry]:
    return ranked([_entry(*row) for row in rows], first_rank, first_position)


class RedisLeaderboardStore:
    """LeaderboardStore on Redis sorted sets (see the module docstring for the layout)."""

    def __init__(self, redis: Redis, key_prefix: str = "lb") -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._submit = redis.register_script(_SUBMIT)
        self._page = redis.register_script(_PAGE)
        self._around = redis.register_script(_AROUND)
        self._remove = redis.register_script(_REMOVE)
        self._count = redis.register_script(_COUNT)
        self._create = redis.register_script(_CREATE)

    def _keys(self, board: str) -> list[str]:
        tag = f"{self._prefix}:{{{board}}}"
        return [f"{tag}:meta", f"{tag}:z", f"{tag}:h"]

    async def _call(self, script: Any, board: str, args: list[Any]) -> Any:
        try:
            return await script(keys=self._keys(board), args=args)
        except ResponseError as exc:
            if "NOBOARD" in str(exc):
                raise BoardNotFoundError(board) from exc
            raise LeaderboardStoreUnavailableError("The leaderboard store failed.") from exc
        except RedisError as exc:
            raise LeaderboardStoreUnavailableError("The leaderboard store is unreachable.") from exc

    async def create_board(self, board: Board) -> Board:
        expires = "" if board.expires_at is None else str(to_millis(board.expires_at))
        stored = await self._call(
            self._create, board.key, [board.policy.value, expires, board.visibility.text()]
        )
        return _board(board.key, *stored)

    async def get_board(self, key: str) -> Board | None:
        fields = ["policy", "expires", "visibility"]
        try:
            policy, expires, visibility = await self._redis.hmget(self._keys(key)[0], fields)
        except RedisError as exc:
            raise LeaderboardStoreUnavailableError("The leaderboard store is unreachable.") from exc
        return None if policy is None else _board(key, policy, expires, visibility)

    async def submit(self, board: Board, entries: Sequence[Entry]) -> list[SubmitResult]:
        expire_at = "" if board.expires_at is None else str(int(board.expires_at.timestamp()) + 1)
        args: list[Any] = [board.policy.value, expire_at]
        for e in entries:
            display = json.dumps(dict(e.display), separators=(",", ":"), sort_keys=True)
            args += [e.member, to_cents(e.score), _tie(e.achieved_at), display]
        rows = await self._call(self._submit, board.key, args)
        return [SubmitResult(bool(changed), _entry(*rest)) for changed, *rest in rows]

    async def page(self, board: Board, limit: int, offset: int, member: str | None) -> Page:
        total, first_rank, rows, me = await self._call(
            self._page, board.key, [offset, limit, member or ""]
        )
        mine = RankedEntry(me[0], _entry(*me[1])) if me else None
        return Page(board.key, _ranked_rows(rows, first_rank, offset + 1), mine, total)

    async def rank_of(self, board: Board, member: str) -> RankedEntry | None:
        return (await self.page(board, 0, 0, member)).me

    async def around(self, board: Board, member: str, k: int) -> list[RankedEntry] | None:
        found = await self._call(self._around, board.key, [member, k])
        if not found:
            return None
        start, first_rank, rows = found
        return _ranked_rows(rows, first_rank, start + 1)

    async def count(self, board: Board) -> int:
        total: int = await self._call(self._count, board.key, [])
        return total

    async def remove(self, board: Board, member: str) -> bool:
        return bool(await self._call(self._remove, board.key, [member]))


def _board(
    key: str, policy: bytes | str, expires: bytes | str | None, visibility: bytes | str | None
) -> Board:
    policy_text, expires_text, visibility_text = (
        v.decode() if isinstance(v, bytes) else (v or "") for v in (policy, expires, visibility)
    )
    return Board(
        key,
        Policy(policy_text),
        from_millis(int(expires_text)) if expires_text else None,
        Visibility.parse(visibility_text),
    )
