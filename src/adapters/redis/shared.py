"""Shared-kernel adapters on Redis: the idempotency store."""

from __future__ import annotations

import json

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.shared.idempotency import (
    IdempotencyRecord,
    IdempotencyStoreUnavailableError,
    RecordStatus,
)

# Take the record unless a live one holds the key (COMPLETED, or INPROGRESS with its lock
# still running); the key itself expires with the record (EXAT).
_ACQUIRE = """
local stored = redis.call('get', KEYS[1])
if stored then
  local record, now = cjson.decode(stored), tonumber(ARGV[2])
  local live = tonumber(record.exp) * 1000 > now
  if live and (record.status == 'COMPLETED' or tonumber(record.lock) > now) then
    return stored
  end
end
redis.call('set', KEYS[1], ARGV[1], 'EXAT', ARGV[3])
return false
"""


class RedisIdempotencyStore:
    """IdempotencyStore on Redis: one key per record, taken atomically by a script."""

    def __init__(self, redis: Redis, key_prefix: str = "idempotency") -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._acquire = redis.register_script(_ACQUIRE)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def acquire(self, record: IdempotencyRecord, now: int) -> IdempotencyRecord | None:
        doc = {
            "status": record.status.value,
            "hash": record.payload_hash,
            "exp": record.expiration,
            "lock": record.in_progress_expiration,
        }
        try:
            stored = await self._acquire(
                keys=[self._key(record.key)], args=[json.dumps(doc), now, record.expiration]
            )
        except RedisError as exc:
            raise IdempotencyStoreUnavailableError("The idempotency store failed.") from exc
        if stored is None:
            return None
        found = json.loads(stored)
        return IdempotencyRecord(
            record.key,
            RecordStatus(found["status"]),
            found["hash"],
            int(found["exp"]),
            int(found["lock"]),
            found.get("response"),
        )

    async def complete(self, key: str, response: str, expiration: int) -> None:
        try:
            stored = await self._redis.get(self._key(key))
            found = json.loads(stored) if stored else {"hash": "", "lock": 0}
            found.update(status=RecordStatus.COMPLETED.value, response=response, exp=expiration)
            await self._redis.set(self._key(key), json.dumps(found), exat=expiration)
        except RedisError as exc:
            raise IdempotencyStoreUnavailableError("The idempotency store failed.") from exc

    async def release(self, key: str) -> None:
        try:
            await self._redis.delete(self._key(key))
        except RedisError as exc:
            raise IdempotencyStoreUnavailableError("The idempotency store failed.") from exc
