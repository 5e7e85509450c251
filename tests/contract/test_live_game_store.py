"""LiveGameStore contract: versioned host saves, one atomic step per answer; in memory, on a
real redis-server and in DynamoDB (``moto_server``, one request at a time)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from adapters.memory.trivia import (
    DEMO_HOST,
    InMemoryLiveGameStore,
    InMemoryQuizStore,
    demo_quizzes,
)
from domain.trivia.errors import (
    AlreadyAnsweredError,
    NotInGameError,
    QuestionClosedError,
    StaleLiveGameError,
    UnknownGameError,
)
from domain.trivia.hosting import LiveGameService
from domain.trivia.live import LiveGame, LiveState
from ports.trivia import LiveGameStore
from tests.support.fakes import ManualClock
from tests.support.services import trivia_table

T = TypeVar("T")


NOW = 1_800_000_000_000
QUIZZES = {q.quiz_id: q for q in demo_quizzes()}


Opened = tuple[LiveGameStore, Callable[[], Awaitable[None]]]


async def _nothing() -> None:
    return None


@pytest.fixture(params=["memory", "redis", "dynamodb"])
def store_factory(request: pytest.FixtureRequest) -> Callable[[], Opened]:
    """Opens a handle (and its closer) onto one shared store; each thread or event loop of
    a test opens its own."""
    if request.param == "memory":
        shared = InMemoryLiveGameStore()
        return lambda: (shared, _nothing)
    if request.param == "dynamodb":
        from adapters.dynamodb.trivia_live import DynamoDBLiveGameStore

        client, table = trivia_table(request.getfixturevalue("aws_env"))
        dynamo = DynamoDBLiveGameStore(client, table)  # boto3 clients are thread-safe
        return lambda: (dynamo, _nothing)
    from redis.asyncio import Redis

    from adapters.redis.trivia import RedisLiveGameStore

    url = request.getfixturevalue("redis_url")  # emptied for this test

    def open_redis() -> Opened:
        client = Redis.from_url(url)
        return RedisLiveGameStore(client), client.aclose

    return open_redis


def using(factory: Callable[[], Opened], work: Callable[[LiveGameStore], Awaitable[T]]) -> T:
    """Run ``work`` on a new handle in a new event loop, then close the handle."""

    async def main() -> T:
        store, close = factory()
        try:
            return await work(store)
        finally:
            await close()

    return asyncio.run(main())


def a_game(quiz_id: str = "demo-live", *players: str) -> LiveGame:
    game = LiveGame.hosted(f"g-{uuid.uuid4().hex}", QUIZZES[quiz_id], DEMO_HOST, 10)
    for player in players:
        game.join(player, NOW)
    game.start(DEMO_HOST)
    game.ask(DEMO_HOST, NOW)
    return game


def test_a_host_save_is_versioned(store_factory: Callable[[], Opened]) -> None:
    async def work(store: LiveGameStore) -> None:
        game = a_game("demo-casual", "ann")
        await store.create(game)
        first, second = await store.get(game.game_id), await store.get(game.game_id)
        assert first is not None
        assert second is not None
        assert first.players == ["ann"]
        assert first.open_questions() == game.open_questions()
        first.close(DEMO_HOST)
        saved = await store.save(first)
        assert (saved.version, saved.state) == (game.version + 1, LiveState.CLOSED)
        with pytest.raises(StaleLiveGameError):
            await store.save(second)  # read before the other save
        stored = await store.get(game.game_id)
        assert stored is not None
        assert stored.state is LiveState.CLOSED
        assert stored.content == game.content
        await store.delete(game.game_id)
        assert await store.get(game.game_id) is None
        with pytest.raises(UnknownGameError):
            await store.record_answer(game.game_id, "ann", 1, True, NOW)
        with pytest.raises(UnknownGameError):
            await store.save(saved)

    using(store_factory, work)


def test_an_answer_is_taken_once_and_never_after_the_deadline(
    store_factory: Callable[[], Opened],
) -> None:
    async def work(store: LiveGameStore) -> None:
        game = a_game("demo-casual", "ann", "bob")
        await store.create(game)
        assert (await store.record_answer(game.game_id, "ann", 1, True, NOW)).correct
        with pytest.raises(AlreadyAnsweredError):
            await store.record_answer(game.game_id, "ann", 1, True, NOW)
        with pytest.raises(NotInGameError):
            await store.record_answer(game.game_id, "eve", 1, True, NOW)
        with pytest.raises(QuestionClosedError):
            await store.record_answer(game.game_id, "bob", 2, True, NOW)  # not open
        with pytest.raises(QuestionClosedError):
            await store.record_answer(game.game_id, "bob", 1, True, NOW + 10_000)
        stored = await store.get(game.game_id)
        assert stored is not None
        # refused late, but still open: closing (and announcing) it is the clock's
        assert (stored.scores, stored.state) == ({"ann": 1, "bob": 0}, LiveState.QUESTION)
        assert stored.answered == {(1, "ann")}

    using(store_factory, work)


def test_under_concurrent_answers_exactly_one_player_wins_a_live_question(
    store_factory: Callable[[], Opened],
) -> None:
    players = [f"p{i}" for i in range(200)]
    game = a_game("demo-live", *players)

    async def create(store: LiveGameStore) -> None:
        await store.create(game)

    using(store_factory, create)

    def answer(player: str) -> str:
        async def one(store: LiveGameStore) -> str:
            try:
                outcome = await store.record_answer(game.game_id, player, 1, True, NOW + 1)
            except QuestionClosedError:
                return "closed"
            assert outcome.reveals[0].number == 1
            return "first" if outcome.first_correct else "taken"

        return using(store_factory, one)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(answer, players))
    assert results.count("first") == 1
    assert results.count("closed") == 199  # the first correct answer closed the question

    async def stored(store: LiveGameStore) -> LiveGame | None:
        return await store.get(game.game_id)

    after = using(store_factory, stored)
    assert after is not None
    assert sum(after.scores.values()) == 1
    assert list(after.first_correct) == [1]
    assert after.state is LiveState.CLOSED


def test_the_service_plays_a_game_through_the_store(store_factory: Callable[[], Opened]) -> None:
    clock = ManualClock(datetime.fromtimestamp(NOW / 1000, UTC))

    async def work(store: LiveGameStore) -> None:
        service = LiveGameService(store, InMemoryQuizStore(demo_quizzes()), clock)
        game = await service.host(DEMO_HOST, "demo-casual", 10)
        await service.join("ann", game.game_id)
        await service.start(DEMO_HOST, game.game_id)
        questions, closes_at = await service.ask(DEMO_HOST, game.game_id)
        assert ([q.number for q in questions], closes_at) == ([1], NOW + 10_000)
        assert (await service.answer("ann", game.game_id, 1, 1)).correct
        with pytest.raises(QuestionClosedError):
            await service.answer("ann", game.game_id, 9, 1)  # no such question
        clock.advance(timedelta(seconds=10))
        reveals = await service.expire(game.game_id)
        assert reveals is not None
        assert [r.number for r in reveals] == [1]
        standings, winners = await service.end(DEMO_HOST, game.game_id)
        assert (standings[0].player, standings[0].score, winners) == ("ann", 1, ["ann"])
        await service.forget(game.game_id)
        with pytest.raises(UnknownGameError):
            await service.game(game.game_id)

    using(store_factory, work)


def test_running_games_are_listed_by_when_they_were_hosted_until_deleted(
    store_factory: Callable[[], Opened],
) -> None:
    async def work(store: LiveGameStore) -> None:
        ids = []
        for offset in range(5):
            game = a_game("demo-casual", "ann")
            game.hosted_at = NOW + offset
            await store.create(game)
            ids.append(game.game_id)
        first, cursor = await store.listed(3, None)
        rest, end = await store.listed(3, cursor)
        assert (first + rest, end) == (ids, None)
        await store.delete(ids[1])
        await store.delete(ids[1])  # nothing if gone already
        assert await store.listed(10, None) == ([ids[0], *ids[2:]], None)
        for game_id in ids:
            await store.delete(game_id)
        assert await store.listed(10, None) == ([], None)

    using(store_factory, work)


def test_players_join_at_once_each_exactly_once(store_factory: Callable[[], Opened]) -> None:
    game = LiveGame.hosted(f"g-{uuid.uuid4().hex}", QUIZZES["demo-live"], DEMO_HOST, 10)

    async def create(store: LiveGameStore) -> None:
        await store.create(game)

    using(store_factory, create)

    def join(player: str) -> bool:
        async def one(store: LiveGameStore) -> bool:
            return await store.add_player(game.game_id, player)

        return using(store_factory, one)

    players = [f"p{i}" for i in range(100)]
    with ThreadPoolExecutor(16) as pool:
        added = list(pool.map(join, players + players[:10]))
    assert added.count(True) == 100  # the 10 second joins changed nothing

    async def stored(store: LiveGameStore) -> LiveGame | None:
        return await store.get(game.game_id)

    after = using(store_factory, stored)
    assert after is not None
    assert sorted(after.players) == sorted(players)
    assert after.scores == dict.fromkeys(players, 0)
    with pytest.raises(UnknownGameError):
        using(store_factory, lambda s: s.add_player("no-such-game", "ann"))


def test_a_read_holds_the_open_questions_answers_only_and_delete_leaves_nothing(
    store_factory: Callable[[], Opened], request: pytest.FixtureRequest
) -> None:
    async def work(store: LiveGameStore) -> None:
        game = a_game("demo-casual", "ann", "bob")
        await store.create(game)
        await store.record_answer(game.game_id, "ann", 1, True, NOW)
        stored = await store.get(game.game_id)
        assert stored is not None
        stored.close(DEMO_HOST)
        stored.ask(DEMO_HOST, NOW)
        await store.save(stored)
        await store.record_answer(game.game_id, "bob", 2, False, NOW)
        again = await store.get(game.game_id)
        assert again is not None
        assert again.answered == {(2, "bob")}  # question 1 is settled: not read again
        assert again.scores == {"ann": 1, "bob": 0}
        await store.delete(game.game_id)
        assert await store.get(game.game_id) is None
        if "redis" in request.node.callspec.id:
            from redis.asyncio import Redis

            client = Redis.from_url(request.getfixturevalue("redis_url"))
            # KEYS here, in a test only: the store itself deletes every key by its name.
            assert await client.keys(f"trivia:live:{{{game.game_id}}}*") == []
            await client.aclose()

    using(store_factory, work)
