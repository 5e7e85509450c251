"""Checkpoints contract: in memory and DynamoDB (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from adapters.memory.races import InMemoryCheckpoints
from ports.races import Checkpoints
from tests.support.services import dynamodb_client

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "dynamodb"])
def checkpoints(request: pytest.FixtureRequest) -> Iterator[Checkpoints]:
    if request.param == "memory":
        yield InMemoryCheckpoints()
        return
    from adapters.dynamodb.leaderboards import create_leaderboard_table
    from adapters.dynamodb.races import DynamoDBCheckpoints

    env = request.getfixturevalue("aws_env")
    table = f"races-{uuid.uuid4().hex[:8]}"
    create_leaderboard_table(dynamodb_client(env), table)
    yield DynamoDBCheckpoints(dynamodb_client(env), table)


async def test_a_checkpoint_per_stream_and_shard(checkpoints: Checkpoints) -> None:
    assert await checkpoints.get("races", "shardId-000000000000") is None
    await checkpoints.put("races", "shardId-000000000000", "4959")
    await checkpoints.put("races", "shardId-000000000001", "5001")
    await checkpoints.put("other", "shardId-000000000000", "1")
    await checkpoints.put("races", "shardId-000000000000", "4960")
    assert await checkpoints.get("races", "shardId-000000000000") == "4960"
    assert await checkpoints.get("races", "shardId-000000000001") == "5001"
    assert await checkpoints.get("other", "shardId-000000000000") == "1"
