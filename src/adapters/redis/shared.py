"""Shared-kernel adapters on Redis: the idempotency store, and the live connections' fan-out
between server processes."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.memory.shared import InProcessPusher
from domain.shared.connections import Connection
from domain.shared.idempotency import (
    IdempotencyRecord,
    IdempotencyStoreUnavailableError,
    RecordStatus,
)
from domain.shared.retry import Backoff

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


log = logging.getLogger(__name__)

LISTEN_BACKOFF = Backoff(base=0.1, cap=5.0)


class RedisFanoutPusher:
    """Pusher for several server processes: a connection this process holds gets the frame
    directly; the others' through Redis pub/sub, one message per process (its ``node``
    channel) naming its connections. A process that no longer listens (PUBLISH reaches
    nobody) has lost its connections: they are reported gone."""

    def __init__(self, redis: Redis, local: InProcessPusher, node: str) -> None:
        self._redis = redis
        self._local = local
        self._node = node

    @staticmethod
    def _channel(node: str) -> str:
        return f"live:node:{node}"

    async def push(self, connections: Sequence[Connection], frame: str) -> list[Connection]:
        gone: list[Connection] = []
        elsewhere: dict[str, list[Connection]] = {}
        for connection in connections:
            if connection.node in (None, self._node):
                if not self._local.deliver(connection.connection_id, frame):
                    gone.append(connection)
            else:
                elsewhere.setdefault(connection.node, []).append(connection)
        for node, held in elsewhere.items():
            message = json.dumps([[c.connection_id for c in held], frame], ensure_ascii=False)
            try:
                receivers = await self._redis.publish(self._channel(node), message)
            except RedisError:
                log.warning("live fan-out to node %s failed; its players miss a frame", node)
                continue
            if receivers == 0:
                gone.extend(held)
        return gone

    async def listen(self) -> None:
        """Deliver what other processes publish for this one's connections, until
        cancelled; a lost subscription is made again after a bounded, jittered pause."""
        failures = 0
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel(self._node))
                    failures = 0
                    async for message in pubsub.listen():
                        ids, frame = json.loads(message["data"])
                        for connection_id in ids:
                            self._local.deliver(connection_id, frame)
            except RedisError:
                log.warning("live fan-out subscription lost; subscribing again")
                await asyncio.sleep(LISTEN_BACKOFF.delay(failures))
                failures += 1
