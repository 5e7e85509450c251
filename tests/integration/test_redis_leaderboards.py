"""What only the Redis leaderboard store does: real key expiry, and one key slot per board."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from adapters.redis.leaderboards import RedisLeaderboardStore
from adapters.system.shared import SystemClock
from domain.leaderboards.errors import BoardNotFoundError
from domain.leaderboards.model import Policy
from domain.leaderboards.service import LeaderboardService, Submission

pytestmark = pytest.mark.anyio


async def test_a_time_bucketed_board_expires_in_redis(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as redis:
        service = LeaderboardService(RedisLeaderboardStore(redis), SystemClock())
        expires = datetime.now(UTC) + timedelta(seconds=2)
        await service.create_board("daily-test", Policy.BEST, expires_at=expires)
        await service.submit("daily-test", Submission("ada", "5"))
        ttls = [await redis.ttl(f"lb:{{daily-test}}:{part}") for part in ("meta", "z", "h")]
        assert all(0 < ttl <= 3 for ttl in ttls), ttls
        await asyncio.sleep(3.1)
        assert await redis.exists("lb:{daily-test}:meta", "lb:{daily-test}:z") == 0
        with pytest.raises(BoardNotFoundError):
            await service.page("daily-test")
        # The key is free again once the store has removed the expired board.
        await service.create_board("daily-test", Policy.LATEST)
