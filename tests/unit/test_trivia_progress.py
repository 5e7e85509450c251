"""Trivia: the events a recorded play publishes, and their consumers (the quiz's board, the
players' progress), idempotent under duplicate and reordered deliveries."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.shared import (
    InMemoryDeadLetters,
    InMemoryEventBus,
    InMemoryEventPublisher,
)
from adapters.memory.trivia import (
    InMemoryMarketplace,
    InMemoryPlayLog,
    InMemoryProgressStore,
    InMemoryQuizStore,
    InMemoryWalletStore,
    demo_quizzes,
)
from domain.leaderboards.service import LeaderboardService
from domain.trivia.errors import TriviaStoreUnavailableError
from domain.trivia.model import Response
from domain.trivia.progress import EXPERIENCE_EARNED, SCORE_RECORDED, Progress, level
from domain.trivia.service import TriviaService
from tests.support.fakes import ManualClock

pytestmark = pytest.mark.anyio
DEMO = "demo-2"  # Capitals: 4 questions; by ``portside``, policy first
BEST = "demo-1"  # Serverless basics: 3 questions; policy best


def answers(correct: int, quiz: str = DEMO) -> list[Response]:
    """Responses with exactly ``correct`` right answers."""
    right: list[int | str] = {
        DEMO: ["Canberra", 1, "Bern", 2],
        BEST: [2, "DynamoDB", 1],
    }[quiz]
    return [Response(n, a if n <= correct else "wrong") for n, a in enumerate(right, start=1)]


def service(
    events: InMemoryEventPublisher | InMemoryEventBus | None = None,
    progress: InMemoryProgressStore | None = None,
) -> tuple[TriviaService, ManualClock]:
    clock = ManualClock(datetime(2026, 11, 23, tzinfo=UTC))
    quizzes = InMemoryQuizStore(demo_quizzes())
    trivia = TriviaService(
        quizzes,
        InMemoryPlayLog(),
        progress or InMemoryProgressStore(),
        LeaderboardService(InMemoryLeaderboardStore(), clock),
        events or InMemoryEventPublisher(),
        clock,
        InMemoryMarketplace(quizzes, InMemoryWalletStore()),
    )
    return trivia, clock


def test_levels_follow_the_thresholds() -> None:
    assert [level(x) for x in (0, 99, 100, 249, 250, 1499, 1500, 49999, 50000, 10**9)] == [
        0, 0, 1, 1, 2, 5, 6, 9, 10, 10
    ]  # fmt: skip
    assert Progress("ann", 800).level == 4


async def test_a_recorded_play_publishes_score_and_experience() -> None:
    events = InMemoryEventPublisher()
    svc, _ = service(events)
    await svc.play("ann", DEMO, answers(3))
    score, experience = events.published
    assert (score.name, experience.name) == (SCORE_RECORDED, EXPERIENCE_EARNED)
    assert score.payload["score"] == "75.00"
    assert (score.payload["player"], score.payload["first"]) == ("ann", True)
    assert experience.payload["experience"] == 3
    assert experience.payload["author"] == "portside"
    await svc.play("ann", DEMO, answers(4))
    assert events.published[2].payload["first"] is False
    await svc.play("portside", DEMO, answers(4))  # the author's own: nothing published
    assert len(events.published) == 4


async def test_duplicate_and_reordered_deliveries_change_nothing() -> None:
    events = InMemoryEventPublisher()
    svc, clock = service(events)
    for correct in (2, 4, 1):  # ann plays three times; her first play (50.00) counts
        await svc.play("ann", DEMO, answers(correct))
        clock.advance(timedelta(minutes=1))
    await svc.play("bob", DEMO, answers(3))
    deliveries = events.published * 3  # every event delivered three times
    random.Random(7).shuffle(deliveries)  # in any order
    for event in deliveries:
        if event.name == SCORE_RECORDED:
            await svc.record_score(event)
        else:
            await svc.record_experience(event)
    board = await svc.leaderboard(DEMO, "ann")
    assert [(e.entry.member, e.entry.score) for e in board.entries] == [
        ("bob", Decimal("75.00")), ("ann", Decimal("50.00"))
    ]  # fmt: skip
    assert board.me is not None
    assert board.me.rank == 2
    assert await svc.progress("ann") == Progress("ann", 2 + 4 + 1)
    assert await svc.progress("portside") == Progress("portside", 2 + 4 + 1 + 3)  # royalties


async def test_the_best_policy_keeps_the_highest_score() -> None:
    events = InMemoryEventPublisher()
    svc, _ = service(events)
    for correct in (1, 3, 2):
        await svc.play("ann", BEST, answers(correct, BEST))
    for event in reversed(events.published):
        if event.name == SCORE_RECORDED:
            await svc.record_score(event)
    (entry,) = (await svc.leaderboard(BEST, "ann")).entries
    assert entry.entry.score == Decimal("100.00")


async def test_an_empty_board_has_nobody_and_no_me() -> None:
    svc, _ = service()
    board = await svc.leaderboard(DEMO, "ann")
    assert (board.entries, board.me, board.total) == ([], None, 0)


class FlakyProgress(InMemoryProgressStore):
    """Progress that is unavailable for the first ``failures`` credits."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        if self.failures:
            self.failures -= 1
            raise TriviaStoreUnavailableError("progress down")
        return await super().credit(event_id, username, experience, wins)


async def test_the_bus_delivers_after_publish_and_retries_transient_failures() -> None:
    letters = InMemoryDeadLetters()
    bus = InMemoryEventBus(letters, base_delay=0.001)
    progress = FlakyProgress(failures=2)
    svc, _ = service(bus, progress)
    bus.subscribe(SCORE_RECORDED, svc.record_score)
    bus.subscribe(EXPERIENCE_EARNED, svc.record_experience)
    await svc.play("ann", DEMO, answers(4))
    assert await svc.progress("ann") == Progress("ann")  # not yet: delivery is asynchronous
    await bus.drain()
    assert await svc.progress("ann") == Progress("ann", 4)
    assert (await svc.leaderboard(DEMO, "ann")).total == 1
    assert letters.letters == []


async def test_the_bus_dead_letters_what_keeps_failing() -> None:
    letters = InMemoryDeadLetters()
    bus = InMemoryEventBus(letters, base_delay=0.001)
    svc, _ = service(bus, FlakyProgress(failures=100))
    bus.subscribe(EXPERIENCE_EARNED, svc.record_experience)
    await svc.play("ann", DEMO, answers(4))
    await asyncio.wait_for(bus.drain(), 5)
    ((source, payload, reason),) = letters.letters
    assert source == EXPERIENCE_EARNED
    assert json.loads(payload)["player"] == "ann"
    assert reason == "progress down"


async def test_any_username_is_on_the_board_under_its_own_name() -> None:
    events = InMemoryEventPublisher()
    svc, _ = service(events)
    for player, correct in (("José", 4), ("a b/c", 2), ("ann", 3)):
        await svc.play(player, DEMO, answers(correct))
    for event in events.published:
        if event.name == SCORE_RECORDED:
            await svc.record_score(event)
    page = await svc.leaderboard(DEMO, "a b/c")
    assert [(e.rank, e.entry.member) for e in page.entries] == [
        (1, "José"),
        (2, "ann"),
        (3, "a b/c"),
    ]
    assert page.me is not None
    assert (page.me.rank, page.me.entry.member) == (3, "a b/c")
