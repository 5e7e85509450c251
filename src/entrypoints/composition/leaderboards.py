"""The leaderboards context (a published service that races and trivia also use):
``LEADERBOARDS_TABLE`` -> DynamoDB; else ``REDIS_URL`` -> Redis; else in memory with the
demo board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.leaderboards.service import LeaderboardService
from entrypoints.composition.shared import Backend, backend
from ports.leaderboards import LeaderboardStore

if TYPE_CHECKING:
    from entrypoints.composition import Composition

READS = ("leaderboards_table", "redis_url")


def build_leaderboards(root: Composition) -> LeaderboardService:
    return LeaderboardService(root.overrides.leaderboard_store or _store(root), root.clock)


def boards_in_table(root: Composition, table: str) -> LeaderboardService:
    """Boards kept in another context's table (races, trivia), so that its consumers in other
    processes write where its routes read."""
    from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore

    return LeaderboardService(DynamoDBLeaderboardStore(root.clients.dynamodb(), table), root.clock)


def _store(root: Composition) -> LeaderboardStore:
    table = root.settings.leaderboards_table
    match backend(table, root.settings, redis=True):
        case Backend.AWS:
            from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore

            assert table
            return DynamoDBLeaderboardStore(root.dynamodb("leaderboardsTable", table), table)
        case Backend.REDIS:
            from adapters.redis.leaderboards import RedisLeaderboardStore

            return RedisLeaderboardStore(root.redis(holds_data=True))
        case Backend.MEMORY:
            from adapters.memory.leaderboards import (
                DEMO_BOARD,
                DEMO_ENTRIES,
                InMemoryLeaderboardStore,
            )

            store = InMemoryLeaderboardStore()
            store.seed(DEMO_BOARD, DEMO_ENTRIES)
            return store
