"""Contracts of the live games' connection registry, chat log and pushers: in memory, on a
real redis-server and in DynamoDB (``moto_server``); the pushers in memory and on Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.memory.shared import InProcessPusher
from adapters.memory.trivia import InMemoryChatLog, InMemoryConnectionRegistry
from domain.shared.connections import Connection
from domain.trivia.live import ChatMessage
from ports.trivia import ChatLog, ConnectionRegistry
from tests.support.services import trivia_table

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000_000
HOUR = 3600_000


@pytest.fixture(params=["memory", "redis", "dynamodb"])
async def registry(request: pytest.FixtureRequest) -> AsyncIterator[ConnectionRegistry]:
    if request.param == "memory":
        yield InMemoryConnectionRegistry()
        return
    if request.param == "dynamodb":
        from adapters.dynamodb.trivia_live import DynamoDBConnectionRegistry

        yield DynamoDBConnectionRegistry(*trivia_table(request.getfixturevalue("aws_env")))
        return
    from redis.asyncio import Redis

    from adapters.redis.trivia import RedisConnectionRegistry

    client = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisConnectionRegistry(client)
    await client.aclose()


@pytest.fixture(params=["memory", "redis", "dynamodb"])
async def chat(request: pytest.FixtureRequest) -> AsyncIterator[ChatLog]:
    if request.param == "memory":
        yield InMemoryChatLog()
        return
    if request.param == "dynamodb":
        from adapters.dynamodb.trivia_live import DynamoDBChatLog

        yield DynamoDBChatLog(*trivia_table(request.getfixturevalue("aws_env")))
        return
    from redis.asyncio import Redis

    from adapters.redis.trivia import RedisChatLog

    client = Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisChatLog(client)
    await client.aclose()


async def test_a_ticket_is_redeemed_once_and_never_after_it_expires(
    registry: ConnectionRegistry,
) -> None:
    # Redis expires tickets on the real clock: the times here are around now.
    import time

    now = int(time.time() * 1000)
    await registry.issue_ticket("t1", "ann", now + 30_000)
    await registry.issue_ticket("t2", "bob", now + 200)
    assert await registry.redeem_ticket("t1", now) == "ann"
    assert await registry.redeem_ticket("t1", now) is None
    assert await registry.redeem_ticket("nope", now) is None
    await asyncio.sleep(0.3)
    assert await registry.redeem_ticket("t2", now + 300) is None


async def test_connections_are_found_by_channel_and_forgotten(
    registry: ConnectionRegistry,
) -> None:
    ann = Connection("c1", "ann", NOW + HOUR, "node-a")
    bob = Connection("c2", "bob", NOW + HOUR, "node-b")
    await registry.add(ann)
    await registry.add(bob)
    assert await registry.get("c1", NOW) == ann
    assert await registry.get("c9", NOW) is None
    entered = await registry.enter("c1", "g1", NOW)
    assert entered == Connection("c1", "ann", NOW + HOUR, "node-a", "g1")
    assert await registry.get("c1", NOW) == entered
    in_game = await registry.members("game:g1", NOW)
    assert [(c.connection_id, c.player, c.node) for c in in_game] == [("c1", "ann", "node-a")]
    everyone = await registry.members("global", NOW)
    assert sorted(c.connection_id for c in everyone) == ["c1", "c2"]
    await registry.enter("c1", "g2", NOW)  # into another game: out of the first
    assert await registry.members("game:g1", NOW) == []
    assert [c.player for c in await registry.members("game:g2", NOW)] == ["ann"]
    removed = await registry.remove("c1")
    assert removed is not None
    assert removed.game_id == "g2"
    assert await registry.remove("c1") is None
    assert await registry.members("game:g2", NOW) == []
    assert [c.player for c in await registry.members("global", NOW)] == ["bob"]
    assert await registry.enter("c1", "g1", NOW) is None  # gone
    ungreeted = Connection("c3", "cy", NOW + HOUR, None, None, greeted=False)
    await registry.add(ungreeted)
    assert await registry.get("c3", NOW) == ungreeted
    await registry.add(replace(ungreeted, greeted=True))
    fetched = await registry.get("c3", NOW)
    assert fetched is not None
    assert fetched.greeted


async def test_a_players_channel_holds_their_connections_only(
    registry: ConnectionRegistry,
) -> None:
    # Notifications go to ``player:<username>`` (any username: this one has a space).
    await registry.add(Connection("c1", "ann lee", NOW + HOUR, "node-a"))
    await registry.add(Connection("c2", "ann lee", NOW + HOUR, "node-b"))
    await registry.add(Connection("c3", "bob", NOW + HOUR, "node-a"))
    await registry.enter("c2", "g1", NOW)
    mine = await registry.members("player:ann lee", NOW)
    assert sorted((c.connection_id, c.node) for c in mine) == [("c1", "node-a"), ("c2", "node-b")]
    assert all(c.player == "ann lee" for c in mine)
    await registry.remove("c1")
    assert [c.connection_id for c in await registry.members("player:ann lee", NOW)] == ["c2"]
    assert await registry.members("player:nobody", NOW) == []
    assert await registry.members("player:ann lee", NOW + HOUR) == []  # expired


async def test_reads_ignore_expired_connections(registry: ConnectionRegistry) -> None:
    # DynamoDB deletes expired items late, Redis at its own pace: reads must not see them.
    await registry.add(Connection("old", "ann", NOW + 1000))
    await registry.add(Connection("new", "bob", NOW + HOUR))
    await registry.enter("old", "g1", NOW)
    await registry.enter("new", "g1", NOW)
    later = NOW + 1000
    assert await registry.get("old", later) is None
    assert [c.player for c in await registry.members("global", later)] == ["bob"]
    assert [c.player for c in await registry.members("game:g1", later)] == ["bob"]


async def test_chat_history_keeps_the_last_messages_per_channel(chat: ChatLog) -> None:
    for n in range(7):
        await chat.append(ChatMessage("global", "ann", f"m{n} ✓", NOW + n), keep=5)
    await chat.append(ChatMessage("game:g1", "bob", "in game", NOW), keep=5)
    assert [m.text for m in await chat.history("global")] == [f"m{n} ✓" for n in range(2, 7)]
    assert await chat.history("game:g1") == [ChatMessage("game:g1", "bob", "in game", NOW)]
    await chat.forget("game:g1")
    assert await chat.history("game:g1") == []
    assert len(await chat.history("global")) == 5


async def test_the_chat_rate_is_limited_per_player_in_a_sliding_window(chat: ChatLog) -> None:
    allowed = [await chat.allow("ann", NOW + n, 5, 10_000) for n in range(7)]
    assert allowed == [True] * 5 + [False] * 2
    assert await chat.allow("bob", NOW, 5, 10_000)  # another player's own budget
    assert not await chat.allow("ann", NOW + 9_999, 5, 10_000)
    assert await chat.allow("ann", NOW + 10_000, 5, 10_000)  # the first one left the window


async def test_concurrent_chat_sends_never_pass_the_limit(chat: ChatLog) -> None:
    results = await asyncio.gather(*(chat.allow("ann", NOW, 5, 10_000) for _ in range(50)))
    assert results.count(True) == 5


def _collecting(pusher: InProcessPusher, connection_id: str, into: list[str]) -> None:
    pusher.register(connection_id, lambda frame: into.append(frame) is None)


async def test_the_in_process_pusher_reports_connections_it_cannot_reach() -> None:
    pusher = InProcessPusher()
    got: list[str] = []
    _collecting(pusher, "c1", got)
    pusher.register("full", lambda frame: False)  # a queue that is full: a slow player
    connections = [Connection(i, "p", NOW + HOUR) for i in ("c1", "full", "unknown")]
    gone = await pusher.push(connections, "frame")
    assert (got, [c.connection_id for c in gone]) == (["frame"], ["full", "unknown"])


async def test_the_redis_fanout_reaches_connections_held_by_another_process(
    redis_url: str,
) -> None:
    from redis.asyncio import Redis

    from adapters.redis.shared import RedisFanoutPusher

    one, two = Redis.from_url(redis_url), Redis.from_url(redis_url)
    local_a, local_b = InProcessPusher(), InProcessPusher()
    node_a, node_b = RedisFanoutPusher(one, local_a, "a"), RedisFanoutPusher(two, local_b, "b")
    got_a: list[str] = []
    got_b: list[str] = []
    _collecting(local_a, "ca", got_a)
    _collecting(local_b, "cb", got_b)
    listening = asyncio.create_task(node_b.listen())
    try:
        members = [
            Connection("ca", "ann", NOW + HOUR, "a"),
            Connection("cb", "bob", NOW + HOUR, "b"),
        ]
        for _ in range(100):  # until node b's subscription is up
            if await one.pubsub_numsub("trivia:live:node:b") == [(b"trivia:live:node:b", 1)]:
                break
            await asyncio.sleep(0.02)
        assert await node_a.push(members, "hello") == []
        for _ in range(100):
            if got_b:
                break
            await asyncio.sleep(0.02)
        assert (got_a, got_b) == (["hello"], ["hello"])
        lost = Connection("cz", "cy", NOW + HOUR, "no-such-node")
        assert await node_a.push([lost], "x") == [lost]  # nobody listens for that node
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await one.aclose()
        await two.aclose()
