"""Cache-aside for exchange rates in Redis, wrapping any RatesProvider."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import secrets
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.stocks.errors import RatesUnavailableError
from domain.stocks.model import Rates
from ports.stocks import RatesProvider

log = logging.getLogger(__name__)

# Delete the lock only if this caller still holds it (it may have expired and been retaken).
_POLL_MAX_SECONDS = 0.1
_LOCAL_MAX_ENTRIES = 1024
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


@dataclass(frozen=True, slots=True)
class _Keys:
    fresh: str
    stale: str
    lock: str
    failed: str

    @classmethod
    @functools.lru_cache(maxsize=1024)  # built on every request: the few symbol sets repeat
    def of(cls, prefix: str, base: str, symbols: tuple[str, ...]) -> _Keys:
        # One entry per base and symbol set; the hash tag keeps a key's four entries in one
        # cluster slot, so MGET works on cluster-mode ElastiCache too.
        tag = f"{prefix}:{{{base}:{','.join(sorted(symbols))}}}"
        return cls(f"{tag}:fresh", f"{tag}:stale", f"{tag}:lock", f"{tag}:failed")


class RedisCachedRatesProvider:
    """RatesProvider that caches another one in Redis.

    - A fresh copy lives ``ttl_seconds``; a hit costs one round trip.
    - On a miss one caller per key, across processes, refreshes (``SET NX`` lock); the others
      poll briefly for its result instead of calling the provider too.
    - A last-known-good copy lives ``stale_ttl_seconds`` and is served with ``stale=True``
      when the provider fails; the failure is remembered ``failure_ttl_seconds`` so callers
      do not hammer a provider that is down.
    - When Redis itself fails, the call goes straight to the wrapped provider (logged).
    - Within a process, concurrent callers for one key share a single Redis read, and fresh
      rates are also held in memory for ``local_ttl_seconds`` (0 turns this off), so a busy
      process does not pay a Redis round trip per request. Rates can then be at most that
      much older than Redis's copy; the provider is still called once per key per TTL.
    """

    def __init__(
        self,
        inner: RatesProvider,
        redis: Redis,
        *,
        ttl_seconds: int = 20,
        stale_ttl_seconds: int = 24 * 3600,
        failure_ttl_seconds: int = 5,
        lock_seconds: float = 10.0,
        local_ttl_seconds: float = 1.0,
        key_prefix: str = "portside:rates",
    ) -> None:
        self._inner = inner
        self._redis = redis
        self._ttl = ttl_seconds
        self._stale_ttl = stale_ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        # The lock must outlive the provider's worst case (timeouts x retries) so no second
        # refresher starts while the first is still waiting on the provider.
        self._lock_ms = int(lock_seconds * 1000)
        self._prefix = key_prefix
        self._release = redis.register_script(_RELEASE)
        self._in_flight: dict[str, asyncio.Future[Rates]] = {}
        self._local_ttl = min(local_ttl_seconds, ttl_seconds)
        self._local: dict[str, tuple[float, Rates]] = {}

    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        keys = _Keys.of(self._prefix, base, tuple(symbols))
        loop = asyncio.get_running_loop()
        held = self._local.get(keys.fresh)
        if held is not None and held[0] > loop.time():
            return held[1]
        rates = await self._get_shared(keys, base, symbols)
        if self._local_ttl > 0 and not rates.stale:
            if len(self._local) >= _LOCAL_MAX_ENTRIES:
                self._local.pop(next(iter(self._local)))  # drop the oldest entry
            self._local[keys.fresh] = (loop.time() + self._local_ttl, rates)
        return rates

    async def _get_shared(self, keys: _Keys, base: str, symbols: Sequence[str]) -> Rates:
        # Single flight per key within the process: concurrent callers share one Redis read
        # (and on a miss one lock attempt), so a burst costs one round trip, not one each.
        flight = self._in_flight.get(keys.fresh)
        if flight is None:
            flight = asyncio.ensure_future(self._get_rates(keys, base, symbols))
            self._in_flight[keys.fresh] = flight
            flight.add_done_callback(lambda _: self._in_flight.pop(keys.fresh, None))
        # Shielded: a caller that goes away (client disconnect) does not cancel the others.
        return await asyncio.shield(flight)

    async def _get_rates(self, keys: _Keys, base: str, symbols: Sequence[str]) -> Rates:
        try:
            fresh, failed = await self._redis.mget(keys.fresh, keys.failed)
            if fresh is not None:
                return _decode(fresh)
            if failed is not None:
                return await self._stale_or_raise(keys, None)
            return await self._refresh_or_wait(keys, base, symbols)
        except RedisError as exc:
            log.warning("redis unavailable, calling the rates provider directly: %s", exc)
            return await self._inner.get_rates(base, symbols)

    async def _refresh_or_wait(self, keys: _Keys, base: str, symbols: Sequence[str]) -> Rates:
        loop = asyncio.get_running_loop()
        # Wait a little longer than the lock lives, so that when a refresher died holding it,
        # a waiter takes the expired lock and refreshes instead of giving up.
        deadline = loop.time() + self._lock_ms / 1000 + _POLL_MAX_SECONDS * 3
        delay = 0.005
        token = secrets.token_hex(16)
        while True:
            if await self._redis.set(keys.lock, token, nx=True, px=self._lock_ms):
                return await self._refresh(keys, token, base, symbols)
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, _POLL_MAX_SECONDS)
            fresh, failed = await self._redis.mget(keys.fresh, keys.failed)
            if fresh is not None:
                return _decode(fresh)
            if failed is not None or loop.time() >= deadline:
                return await self._stale_or_raise(keys, None)

    async def _refresh(self, keys: _Keys, token: str, base: str, symbols: Sequence[str]) -> Rates:
        try:
            # Another refresher may have stored a copy between our miss and our lock.
            fresh = await self._redis.get(keys.fresh)
            if fresh is not None:
                return _decode(fresh)
            try:
                rates = await self._inner.get_rates(base, symbols)
            except RatesUnavailableError as exc:
                await _quietly(self._redis.set(keys.failed, b"1", ex=self._failure_ttl))
                return await self._stale_or_raise(keys, exc)
            # From here on the provider has been called: a Redis failure must not call it again.
            payload = _encode(rates)
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(keys.fresh, payload, ex=self._ttl)
            pipe.set(keys.stale, payload, ex=self._stale_ttl)
            await _quietly(pipe.execute())
            return rates
        finally:
            await _quietly(self._release(keys=[keys.lock], args=[token]))

    async def _stale_or_raise(self, keys: _Keys, cause: RatesUnavailableError | None) -> Rates:
        try:
            stale = await self._redis.get(keys.stale)
        except RedisError:
            stale = None
        if stale is not None:
            return _decode(stale, stale=True)
        if cause is not None:
            raise cause
        raise RatesUnavailableError(
            "The exchange-rate provider is failing and no earlier rates are cached.",
            retry_after_seconds=self._failure_ttl,
        )


async def _quietly(call: Awaitable[Any]) -> None:
    """Await a best-effort Redis write; its failure is logged, never raised."""
    try:
        await call
    except RedisError as exc:
        log.warning("redis write failed: %s", exc)


def _encode(rates: Rates) -> bytes:
    doc = {
        "base": rates.base,
        "asOf": rates.as_of,
        "rates": {k: str(v) for k, v in rates.rates.items()},
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _decode(raw: bytes | str, *, stale: bool = False) -> Rates:
    doc = json.loads(raw)
    return Rates(doc["base"], {k: Decimal(v) for k, v in doc["rates"].items()}, doc["asOf"], stale)
