"""Trivia: quiz validation, server-side scoring and ownership, on in-memory adapters."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.shared import InMemoryEventPublisher
from adapters.memory.trivia import (
    DEMO_QUIZZES,
    InMemoryMarketplace,
    InMemoryPlayLog,
    InMemoryProgressStore,
    InMemoryQuizStore,
    InMemoryWalletStore,
    demo_quizzes,
)
from domain.leaderboards.service import LeaderboardService
from domain.trivia.errors import (
    GameNotFoundError,
    InvalidCursorError,
    InvalidQuizError,
    InvalidResponsesError,
    LiveNotAllowedError,
    NotQuizOwnerError,
    QuizNotFoundError,
)
from domain.trivia.model import LeaderboardPolicy, Mode, Response, checked_quiz
from domain.trivia.service import TriviaService
from entrypoints.http.models.games import GameDetailBody
from tests.support.fakes import ManualClock
from tests.support.wire import quiz, quiz_problems, responses

pytestmark = pytest.mark.anyio


def a_quiz(**change: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "Rivers",
        "description": "Long ones.",
        "category": "geography",
        "questions": [
            {"text": "Longest river?", "options": ["Nile", "Rhine", "Seine"], "correct": 0},
            {"text": "River through Vienna?", "answer": "Danube", "alternatives": ["Donau"]},
            {"text": "River through Paris?", "options": ["Thames", "Seine"], "correct": 1},
            {"text": "River through Rome?", "answer": "Tiber", "followUp": "Tevere locally."},
        ],
        **change,
    }
    return raw


def a_content(**change: Any) -> Any:
    return quiz(a_quiz(**change))


def service() -> tuple[TriviaService, ManualClock]:
    clock = ManualClock(datetime(2026, 11, 23, tzinfo=UTC))
    quizzes = InMemoryQuizStore(demo_quizzes())
    trivia = TriviaService(
        quizzes,
        InMemoryPlayLog(),
        InMemoryProgressStore(),
        LeaderboardService(InMemoryLeaderboardStore(), clock),
        InMemoryEventPublisher(),
        clock,
        InMemoryMarketplace(quizzes, InMemoryWalletStore()),
    )
    return trivia, clock


def test_a_quiz_mixes_question_types_with_defaults() -> None:
    content = checked_quiz(a_content())
    assert (content.mode, content.policy) == (Mode.SINGLE, LeaderboardPolicy.FIRST)
    assert [q.multiple_choice for q in content.questions] == [True, False, True, False]
    assert content.questions[1].alternatives == ("Donau",)
    assert content.questions[3].follow_up == "Tevere locally."


def one(**question: Any) -> dict[str, Any]:
    """A quiz change: one question, text "q" unless given."""
    return {"questions": [{"text": "q", **question}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"category": None}, "category"),
        ({"description": "x" * 1001}, "description"),
        ({"mode": "solo"}, "mode"),
        ({"leaderboardPolicy": "last"}, "leaderboardPolicy"),
        ({"questions": []}, "questions"),
        ({"questions": [{"text": "q", "answer": "a"}] * 101}, "questions"),
        (one(options=["only"], correct=0), "questions[0].options"),
        (one(options=list("abcde"), correct=0), "questions[0].options"),
        (one(options=["a", "b"], correct=2), "questions[0].correct"),
        (one(options=["a", "b"], correct=True), "questions[0].correct"),
        (one(options=["a", "b"]), "questions[0].correct"),
        (one(options=["a", " "], correct=0), "questions[0].options[1]"),
        (one(text="", answer="a"), "questions[0].text"),
        (one(text="x" * 501, answer="a"), "questions[0].text"),
        (one(), "questions[0].answer"),
        (one(answer="a", alternatives="b"), "questions[0].alternatives"),
        (one(answer="a", round=0), "questions[0].round"),
        (one(answer="a", followUp="x" * 1001), "questions[0].followUp"),
        (one(answer="a", options=["a", "b"], correct=0), "questions[0]"),
        ({"questions": ["q"]}, "questions[0]"),
    ],
)
def test_invalid_quizzes_name_the_field(change: dict[str, Any], field: str) -> None:
    assert field in quiz_problems(a_quiz(**change))


def test_every_bad_field_is_named_at_once() -> None:
    assert {"name", "category", "mode"} <= quiz_problems(a_quiz(name="", category="", mode="x"))


def test_the_domain_refuses_what_breaks_a_rule_whoever_built_it() -> None:
    content = a_content()
    broken = replace(content, name=" ", questions=(replace(content.questions[0], correct=7),))
    with pytest.raises(InvalidQuizError) as exc:
        checked_quiz(broken)
    assert {e.field for e in exc.value.errors} == {"name", "questions[0].correct"}


def test_players_see_questions_without_any_answer() -> None:
    (demo, *_) = demo_quizzes()
    shown = GameDetailBody.of(demo).model_dump_json()
    for q in demo.content.questions:
        if q.answer is not None:
            assert q.answer not in shown
        if q.follow_up is not None:
            assert q.follow_up not in shown
    assert "correct" not in shown
    fields = set(json.loads(shown)["questions"][0])
    assert fields <= {"number", "text", "options", "round"}


async def test_scoring_is_done_here_and_open_answers_match_loosely() -> None:
    svc, _ = service()
    game = await svc.activate("ann", (await svc.create("ann", a_content())).quiz_id)
    answers = responses((1, 0), (2, "  dONAU "), (3, 0))  # question 4 unanswered: wrong
    scored, recorded = await svc.play("bob", game.quiz_id, answers)
    assert (scored.score, scored.correct, scored.total, recorded) == (Decimal("50.00"), 2, 4, True)
    assert [(r.correct, r.answer) for r in scored.answers] == [
        (True, 0), (True, "Danube"), (False, 1), (False, "Tiber")
    ]  # fmt: skip
    assert scored.answers[3].follow_up == "Tevere locally."


async def test_scores_round_half_up_to_two_places() -> None:
    svc, _ = service()
    questions = [{"text": f"q{i}", "answer": "a"} for i in range(3)]
    game = (await svc.create("ann", a_content(questions=questions))).quiz_id
    await svc.activate("ann", game)
    scored, _ = await svc.play("bob", game, responses((1, "a")))
    assert scored.score == Decimal("33.33")
    assert (await svc.play("bob", game, responses((1, "a"), (2, "a"))))[0].score == Decimal("66.67")


async def test_an_author_s_own_play_is_scored_but_not_recorded() -> None:
    svc, _ = service()
    scored, recorded = await svc.play("portside", "demo-3", [])
    assert (scored.correct, scored.total, recorded) == (0, 2, False)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ([Response(0, 1)], "responses[0].questionNumber"),
        ([Response(9, 1)], "responses[0].questionNumber"),  # demo-3 has 2 questions
        ([Response(1, 1), Response(1, 0)], "responses[1].questionNumber"),
    ],
)
async def test_bad_responses_are_refused(given: list[Response], field: str) -> None:
    svc, _ = service()
    with pytest.raises(InvalidResponsesError) as exc:
        await svc.play("bob", "demo-3", given)
    assert [e.field for e in exc.value.errors] == [field]


async def test_only_the_owner_reads_changes_or_deletes_a_quiz() -> None:
    svc, _ = service()
    mine = await svc.create("ann", a_content())
    for attempt in (
        svc.owned("bob", mine.quiz_id),
        svc.update("bob", mine.quiz_id, a_content(name="Mine now")),
        svc.delete("bob", mine.quiz_id),
        svc.activate("bob", mine.quiz_id),
    ):
        with pytest.raises(NotQuizOwnerError):
            await attempt
    assert (await svc.owned("ann", mine.quiz_id)).content.name == "Rivers"
    renamed = await svc.update("ann", mine.quiz_id, a_content(name="Rivers II"))
    assert renamed.owner == "ann"
    await svc.delete("ann", mine.quiz_id)
    with pytest.raises(QuizNotFoundError):
        await svc.owned("ann", mine.quiz_id)


async def test_only_active_quizzes_are_games_listed_by_category_in_pages() -> None:
    svc, clock = service()
    draft = await svc.create("ann", a_content())
    with pytest.raises(GameNotFoundError):
        await svc.game(draft.quiz_id)
    ids = []
    for i in range(5):
        clock.advance(timedelta(seconds=1))
        made = await svc.create("ann", a_content(name=f"Rivers {i}", category="rivers"))
        ids.append((await svc.activate("ann", made.quiz_id)).quiz_id)
    pages, cursor = [], None
    for _ in range(5):  # bounded
        page, cursor = await svc.games("rivers", cursor, limit=2)
        pages.append([q.quiz_id for q in page])
        if cursor is None:
            break
    assert pages == [ids[::-1][0:2], ids[::-1][2:4], ids[::-1][4:]]
    everything, _ = await svc.games(None, None, limit=100)
    assert {q.content.category for q in everything} == {"aws", "geography", "science", "rivers"}
    assert draft.quiz_id not in {q.quiz_id for q in everything}
    with pytest.raises(InvalidCursorError):
        await svc.games(None, "not-a-cursor")


def test_the_demo_quizzes_are_valid() -> None:
    for content in DEMO_QUIZZES:
        assert checked_quiz(content) == content


async def test_a_hosted_quiz_is_never_listed_nor_played_alone() -> None:
    trivia, _ = service()
    hosted = await trivia.create("ann", a_content(mode="live"))
    with pytest.raises(LiveNotAllowedError):
        await trivia.activate("ann", hosted.quiz_id)
    # Even one made active before the rule: not listed, not playable.
    await trivia._quizzes.put(replace(hosted, active=True))
    listed, _ = await trivia.games("geography", None)
    assert hosted.quiz_id not in {q.quiz_id for q in listed}
    with pytest.raises(GameNotFoundError):
        await trivia.play("bob", hosted.quiz_id, responses((1, 0)))
