"""Trivia store contracts, in memory and DynamoDB (moto): QuizStore, PlayLog, ProgressStore."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from adapters.memory.trivia import InMemoryPlayLog, InMemoryProgressStore, InMemoryQuizStore
from domain.trivia.errors import InvalidCursorError
from domain.trivia.model import Quiz
from domain.trivia.progress import Progress
from ports.trivia import PlayLog, ProgressStore, QuizStore
from tests.support.services import dynamodb_client
from tests.support.wire import quiz as content_of

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[QuizStore, PlayLog, ProgressStore]]:
    if request.param == "memory":
        yield InMemoryQuizStore(), InMemoryPlayLog(), InMemoryProgressStore()
        return
    from adapters.dynamodb.leaderboards import create_leaderboard_table
    from adapters.dynamodb.trivia import DynamoDBPlayLog, DynamoDBProgressStore, DynamoDBQuizStore

    client = dynamodb_client(request.getfixturevalue("aws_env"))
    table = f"trivia-{uuid.uuid4().hex[:8]}"
    create_leaderboard_table(client, table)  # as portside init-aws makes TRIVIA_TABLE
    yield (
        DynamoDBQuizStore(client, table),
        DynamoDBPlayLog(client, table),
        DynamoDBProgressStore(client, table),
    )


def quiz(n: int, owner: str = "ann", category: str = "rivers", active: bool = True) -> Quiz:
    raw: dict[str, Any] = {
        "name": f"Quiz {n}",
        "category": category,
        "leaderboardPolicy": "best",
        "questions": [
            {"text": "Longest?", "options": ["Nile", "Rhine"], "correct": 0, "round": 2},
            {"text": "Vienna?", "answer": "Danube", "alternatives": ["Donau"], "followUp": "f"},
        ],
    }
    return Quiz(f"q{n}", owner, content_of(raw), active=active, created_at=1000 + n)


async def test_a_quiz_reads_back_whole(stores: tuple[QuizStore, PlayLog, ProgressStore]) -> None:
    quizzes, _, _ = stores
    stored = replace(quiz(1), source="q0")
    await quizzes.put(stored)
    assert await quizzes.get("q1") == stored
    assert await quizzes.get("nope") is None


async def test_owners_list_their_quizzes_newest_first(
    stores: tuple[QuizStore, PlayLog, ProgressStore],
) -> None:
    quizzes, _, _ = stores
    for n in (1, 2, 3):
        await quizzes.put(quiz(n, owner="ann" if n != 2 else "bob", active=False))
    assert [q.quiz_id for q in await quizzes.by_owner("ann")] == ["q3", "q1"]
    assert [q.quiz_id for q in await quizzes.by_owner("bob")] == ["q2"]
    assert await quizzes.by_owner("carol") == []
    await quizzes.delete("q3")
    await quizzes.delete("q3")  # nothing to delete: no error
    assert [q.quiz_id for q in await quizzes.by_owner("ann")] == ["q1"]


async def test_active_games_page_newest_first_by_category(
    stores: tuple[QuizStore, PlayLog, ProgressStore],
) -> None:
    quizzes, _, _ = stores
    for n in range(1, 8):
        await quizzes.put(quiz(n, category="rivers" if n % 2 else "lakes", active=n != 7))
    pages: list[list[str]] = []
    cursor = None
    for _ in range(10):  # bounded
        page, cursor = await quizzes.active("rivers", 2, cursor)
        pages.append([q.quiz_id for q in page])
        if cursor is None:
            break
    assert pages == [["q5", "q3"], ["q1"]]
    page, cursor = await quizzes.active(None, 6, None)
    assert ([q.quiz_id for q in page], cursor) == (["q6", "q5", "q4", "q3", "q2", "q1"], None)
    page, cursor = await quizzes.active("lakes", 3, None)  # exactly full: no next page
    assert ([q.quiz_id for q in page], cursor) == (["q6", "q4", "q2"], None)
    with pytest.raises(InvalidCursorError):
        await quizzes.active(None, 2, "bogus")


async def test_changes_and_deletes_move_the_listings(
    stores: tuple[QuizStore, PlayLog, ProgressStore],
) -> None:
    quizzes, _, _ = stores
    await quizzes.put(quiz(1))
    moved = replace(quiz(1), content=replace(quiz(1).content, category="lakes"))
    await quizzes.put(moved)
    assert (await quizzes.active("rivers", 10, None))[0] == []
    assert [q.quiz_id for q in (await quizzes.active("lakes", 10, None))[0]] == ["q1"]
    await quizzes.put(replace(moved, active=False))
    assert (await quizzes.active(None, 10, None))[0] == []
    await quizzes.put(moved)
    await quizzes.delete("q1")
    assert (await quizzes.active(None, 10, None))[0] == []
    assert await quizzes.get("q1") is None


async def test_only_one_play_is_the_first_even_concurrently(
    stores: tuple[QuizStore, PlayLog, ProgressStore],
) -> None:
    _, plays, _ = stores
    claims = await asyncio.gather(*(plays.claim_first("q1", "ann") for _ in range(10)))
    assert sorted(claims) == [False] * 9 + [True]
    assert await plays.claim_first("q1", "bob") is True
    assert await plays.claim_first("q2", "ann") is True


async def test_each_event_is_credited_once_per_player(
    stores: tuple[QuizStore, PlayLog, ProgressStore],
) -> None:
    _, _, progress = stores
    assert await progress.get("ann") == Progress("ann")
    assert await progress.credit("e1", "ann", 3, 0) == Progress("ann", 3, 0)
    assert await progress.credit("e1", "ann", 3, 0) == Progress("ann", 3, 0)  # duplicate
    assert await progress.credit("e1", "portside", 3, 0) == Progress("portside", 3, 0)
    credits = [progress.credit(f"e{n}", "ann", 1, 1) for n in range(2, 7)] * 2
    await asyncio.gather(*credits)  # concurrent, each twice
    assert await progress.get("ann") == Progress("ann", 8, 5)
