"""LiveGameStore contract: versioned host saves, one atomic step per answer. In memory for
now (the Redis and DynamoDB adapters join this suite when they are built)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.trivia import (
    DEMO_HOST,
    InMemoryLiveGameStore,
    InMemoryQuizStore,
    demo_quizzes,
)
from domain.trivia.errors import (
    AlreadyAnsweredError,
    QuestionClosedError,
    StaleLiveGameError,
    UnknownGameError,
)
from domain.trivia.hosting import LiveGameService
from domain.trivia.live import LiveGame, LiveState
from ports.trivia import LiveGameStore
from tests.support.fakes import ManualClock

NOW = 1_800_000_000_000
QUIZZES = {q.quiz_id: q for q in demo_quizzes()}


@pytest.fixture(params=["memory"])
def store_factory(request: pytest.FixtureRequest) -> Callable[[], LiveGameStore]:
    """Handles onto one shared store (each thread of a concurrency test opens its own)."""
    shared = InMemoryLiveGameStore()
    return lambda: shared


def run(work: object) -> object:
    return asyncio.run(work)  # type: ignore[arg-type]


def a_game(quiz_id: str = "demo-live", *players: str) -> LiveGame:
    game = LiveGame.hosted(f"g-{quiz_id}", QUIZZES[quiz_id], DEMO_HOST, 10)
    for player in players:
        game.join(player, NOW)
    game.start(DEMO_HOST)
    game.ask(DEMO_HOST, NOW)
    return game


def test_a_host_save_is_versioned(store_factory: Callable[[], LiveGameStore]) -> None:
    store = store_factory()

    async def work() -> None:
        game = a_game("demo-casual", "ann")
        await store.create(game)
        first, second = await store.get(game.game_id), await store.get(game.game_id)
        assert first is not None
        assert second is not None
        first.close(DEMO_HOST)
        saved = await store.save(first)
        assert (saved.version, saved.state) == (game.version + 1, LiveState.CLOSED)
        with pytest.raises(StaleLiveGameError):
            await store.save(second)  # read before the other save
        stored = await store.get(game.game_id)
        assert stored is not None
        assert stored.state is LiveState.CLOSED
        await store.delete(game.game_id)
        assert await store.get(game.game_id) is None
        with pytest.raises(UnknownGameError):
            await store.record_answer(game.game_id, "ann", 1, True, NOW)

    run(work())


def test_an_answer_is_taken_once_and_never_after_the_deadline(
    store_factory: Callable[[], LiveGameStore],
) -> None:
    store = store_factory()

    async def work() -> None:
        game = a_game("demo-casual", "ann", "bob")
        await store.create(game)
        assert (await store.record_answer(game.game_id, "ann", 1, True, NOW)).correct
        with pytest.raises(AlreadyAnsweredError):
            await store.record_answer(game.game_id, "ann", 1, True, NOW)
        with pytest.raises(QuestionClosedError):
            await store.record_answer(game.game_id, "bob", 1, True, NOW + 10_000)
        stored = await store.get(game.game_id)
        assert stored is not None
        assert stored.scores == {"ann": 1, "bob": 0}

    run(work())


def test_under_concurrent_answers_exactly_one_player_wins_a_live_question(
    store_factory: Callable[[], LiveGameStore],
) -> None:
    players = [f"p{i}" for i in range(200)]
    game = a_game("demo-live", *players)
    run(store_factory().create(game))

    def answer(player: str) -> str:
        async def one() -> str:
            try:
                outcome = await store_factory().record_answer(
                    game.game_id, player, 1, True, NOW + 1
                )
            except QuestionClosedError:
                return "closed"
            return "first" if outcome.first_correct else "taken"

        return asyncio.run(one())

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(answer, players))
    assert results.count("first") == 1
    assert results.count("closed") == 199  # the first correct answer closed the question
    stored = run(store_factory().get(game.game_id))
    assert isinstance(stored, LiveGame)
    assert sum(stored.scores.values()) == 1
    assert list(stored.first_correct) == [1]


def test_the_service_plays_a_game_through_the_store(
    store_factory: Callable[[], LiveGameStore],
) -> None:
    clock = ManualClock(datetime.fromtimestamp(NOW / 1000, UTC))
    service = LiveGameService(store_factory(), InMemoryQuizStore(demo_quizzes()), clock)

    async def work() -> None:
        game = await service.host(DEMO_HOST, "demo-casual", 10)
        await service.join("ann", game.game_id)
        await service.start(DEMO_HOST, game.game_id)
        questions, closes_at = await service.ask(DEMO_HOST, game.game_id)
        assert [q.number for q in questions] == [1]
        assert (await service.answer("ann", game.game_id, 1, 1)).correct
        with pytest.raises(QuestionClosedError):
            await service.answer("ann", game.game_id, 9, 1)  # no such question
        clock.advance(timedelta(seconds=10))
        reveals = await service.expire(game.game_id)
        assert reveals is not None
        assert [r.number for r in reveals] == [1]
        standings, winners = await service.end(DEMO_HOST, game.game_id)
        assert (standings[0].player, standings[0].score, winners) == ("ann", 1, ["ann"])
        assert closes_at == NOW + 10_000

    run(work())
