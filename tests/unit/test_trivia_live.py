"""The rules of a hosted live game (domain only): authority, modes, deadlines, pause, end."""

from __future__ import annotations

import pytest

from domain.trivia.errors import (
    AlreadyAnsweredError,
    GameEndedError,
    GameNotStartedError,
    InvalidQuizError,
    LiveNotAllowedError,
    NotHostError,
    NotInGameError,
    QuestionClosedError,
)
from domain.trivia.live import LiveGame, LiveState, PublicQuestion, Reveal, Standing, rounds_of
from domain.trivia.model import LeaderboardPolicy, Mode, Question, Quiz, QuizContent

T0 = 1_800_000_000_000  # epoch ms
QUESTIONS = (
    Question("2 + 2?", options=("3", "4"), correct=1, round=1),
    Question("Capital of France?", answer="Paris", alternatives=("paris, france",), round=1),
    Question("Red and blue make?", answer="purple", follow_up="Or violet."),
    Question("Sky colour?", options=("blue", "green"), correct=0, round=2),
)


def quiz(mode: Mode, owner: str = "host") -> Quiz:
    content = QuizContent("Demo", "", "general", mode, LeaderboardPolicy.BEST, QUESTIONS)
    return Quiz(f"quiz-{mode.value}", owner, content)


def game(mode: Mode, *players: str) -> LiveGame:
    g = LiveGame.hosted("g1", quiz(mode), "host", question_seconds=10)
    for p in players:
        g.join(p, T0)
    g.start("host")
    return g


def test_only_the_owner_hosts_a_quiz_that_is_not_single_player() -> None:
    with pytest.raises(LiveNotAllowedError):
        LiveGame.hosted("g", quiz(Mode.CASUAL), "mallory")
    with pytest.raises(LiveNotAllowedError):
        LiveGame.hosted("g", quiz(Mode.SINGLE), "host")
    for seconds in (4, 301):
        with pytest.raises(InvalidQuizError):
            LiveGame.hosted("g", quiz(Mode.CASUAL), "host", seconds)
    assert LiveGame.hosted("g", quiz(Mode.LIVE), "host").question_seconds == 30


def test_the_game_plays_from_the_copy_taken_at_hosting() -> None:
    original = quiz(Mode.CASUAL)
    g = LiveGame.hosted("g", original, "host")
    assert g.content is original.content  # frozen: an edited quiz is a new content
    assert g.quiz_id == original.quiz_id


def test_only_the_host_runs_the_game() -> None:
    g = game(Mode.CASUAL, "ann")
    for action in (lambda: g.ask("ann", T0), lambda: g.close("ann"), lambda: g.end("ann")):
        with pytest.raises(NotHostError):
            action()
    with pytest.raises(NotHostError):
        g.scoreboard("ann")
    assert g.state is LiveState.LOBBY


def test_questions_go_out_without_answers_and_answers_come_only_at_close() -> None:
    g = game(Mode.CASUAL, "ann", "bob")
    questions, closes_at = g.ask("host", T0)
    assert questions == [PublicQuestion(1, "2 + 2?", ("3", "4"))]
    assert closes_at == T0 + 10_000
    assert g.answer("ann", 1, 1, T0 + 1).correct
    assert not g.answer("bob", 1, 0, T0 + 2).correct
    assert g.close("host") == [Reveal(1, 1, None)]
    assert g.scoreboard("host") == [Standing(1, "ann", 1), Standing(2, "bob", 0)]


def test_one_answer_per_player_per_question_and_none_after_close_or_deadline() -> None:
    g = game(Mode.CASUAL, "ann", "bob", "cy")
    g.ask("host", T0)
    g.answer("ann", 1, 0, T0)
    with pytest.raises(AlreadyAnsweredError):
        g.answer("ann", 1, 1, T0)  # a second try, even a right one
    with pytest.raises(QuestionClosedError):
        g.answer("bob", 2, "Paris", T0)  # not the open question
    with pytest.raises(QuestionClosedError):
        g.answer("bob", 1, 1, T0 + 10_000)  # at the deadline (server clock)
    assert g.state is LiveState.QUESTION  # refused, but closing it is the clock's
    assert g.expire(T0 + 10_000) == [Reveal(1, 1, None)]
    with pytest.raises(QuestionClosedError):
        g.answer("cy", 1, 1, T0 + 1)
    assert g.scores == {"ann": 0, "bob": 0, "cy": 0}


def test_the_deadline_closes_a_question_by_itself() -> None:
    g = game(Mode.CASUAL, "ann")
    g.ask("host", T0)
    assert g.expire(T0 + 9_999) is None
    assert g.expire(T0 + 10_000) == [Reveal(1, 1, None)]
    assert g.expire(T0 + 20_000) is None


def test_strangers_the_host_and_early_answers_are_refused() -> None:
    g = LiveGame.hosted("g", quiz(Mode.CASUAL), "host")
    g.join("ann", T0)
    with pytest.raises(GameNotStartedError):
        g.answer("ann", 1, 1, T0)
    with pytest.raises(GameNotStartedError):
        g.ask("host", T0)
    g.start("host")
    with pytest.raises(LiveNotAllowedError):
        g.start("host")
    g.ask("host", T0)
    with pytest.raises(NotInGameError):
        g.answer("eve", 1, 1, T0)
    with pytest.raises(NotInGameError):
        g.answer("host", 1, 1, T0)  # the host knows the answers: not a player
    with pytest.raises(LiveNotAllowedError):
        g.ask("host", T0)  # one open question at a time


def test_competitive_asks_and_reveals_a_round_at_a_time() -> None:
    assert rounds_of(quiz(Mode.COMPETITIVE).content) == [(1, 2), (3,), (4,)]
    assert rounds_of(quiz(Mode.CASUAL).content) == [(1,), (2,), (3,), (4,)]
    g = game(Mode.COMPETITIVE, "ann", "bob")
    questions, _ = g.ask("host", T0)
    assert [q.number for q in questions] == [1, 2]
    g.answer("ann", 1, 1, T0)
    g.answer("ann", 2, "  PARIS, France ", T0)
    g.answer("bob", 2, "paris", T0)
    assert g.close("host") == [Reveal(1, 1, None), Reveal(2, "Paris", None)]
    assert g.scores == {"ann": 2, "bob": 1}
    questions, _ = g.ask("host", T0)
    assert questions == [PublicQuestion(3, "Red and blue make?", None)]
    assert g.close("host") == [Reveal(3, "purple", "Or violet.")]


def test_live_only_the_first_correct_answer_scores_and_closes_the_question() -> None:
    g = game(Mode.LIVE, "ann", "bob", "cy")
    g.ask("host", T0)
    assert not g.answer("ann", 1, 0, T0).correct  # wrong: no point, the question stays open
    outcome = g.answer("bob", 1, 1, T0 + 1)
    assert outcome.first_correct
    assert outcome.reveals == (Reveal(1, 1, None),)
    assert g.state is LiveState.CLOSED
    with pytest.raises(QuestionClosedError):
        g.answer("cy", 1, 1, T0 + 2)
    assert g.scores == {"ann": 0, "bob": 1, "cy": 0}
    assert g.first_correct == {1: "bob"}


def test_a_live_question_nobody_gets_right_closes_at_its_deadline_with_no_winner() -> None:
    g = game(Mode.LIVE, "ann")
    g.ask("host", T0)
    g.answer("ann", 1, 0, T0)
    assert g.expire(T0 + 10_000) == [Reveal(1, 1, None)]
    assert g.first_correct == {}


def test_the_host_leaving_pauses_the_game_and_coming_back_resumes_it() -> None:
    g = game(Mode.CASUAL, "ann")
    g.ask("host", T0)
    g.host_left(T0 + 2_000)
    with pytest.raises(LiveNotAllowedError):
        g.answer("ann", 1, 1, T0 + 3_000)
    assert g.expire(T0 + 60_000) is None  # the clock stands still while paused
    assert not g.grace_over(T0 + 121_999, 120)
    g.join("host", T0 + 62_000)  # back: the deadline moves by the 60 s paused
    assert g.closes_at == T0 + 70_000
    assert g.answer("ann", 1, 1, T0 + 65_000).correct


def test_a_host_gone_past_the_grace_ends_the_game_as_it_stands() -> None:
    g = game(Mode.CASUAL, "ann", "bob")
    g.ask("host", T0)
    g.answer("bob", 1, 1, T0)
    g.host_left(T0 + 1_000)
    assert g.grace_over(T0 + 121_000, 120)
    standings, winners = g.end(None)
    assert (standings, winners) == ([Standing(1, "bob", 1), Standing(2, "ann", 0)], ["bob"])
    with pytest.raises(GameEndedError):
        g.join("ann", T0 + 122_000)


def test_a_player_who_rejoins_keeps_their_score_and_sees_the_open_question() -> None:
    g = game(Mode.CASUAL, "ann")
    g.ask("host", T0)
    g.answer("ann", 1, 1, T0)
    g.join("ann", T0 + 1)
    assert g.players == ["ann"]
    assert g.scores == {"ann": 1}
    assert [q.number for q in g.open_questions()] == [1]


def test_the_end_ranks_everyone_and_ties_all_win_but_zero_wins_nothing() -> None:
    g = game(Mode.CASUAL, "ann", "bob", "cy")
    g.ask("host", T0)
    g.answer("ann", 1, 1, T0)
    g.answer("bob", 1, 1, T0)
    g.close("host")
    standings, winners = g.end("host")
    assert [(s.rank, s.player, s.score) for s in standings] == [
        (1, "ann", 1), (1, "bob", 1), (3, "cy", 0),
    ]  # fmt: skip
    assert winners == ["ann", "bob"]
    nobody = game(Mode.CASUAL, "ann")
    assert nobody.end("host")[1] == []
    with pytest.raises(GameEndedError):
        nobody.ask("host", T0)
    with pytest.raises(GameEndedError):
        nobody.answer("ann", 1, 1, T0)


def test_asking_past_the_last_question_is_refused() -> None:
    g = game(Mode.LIVE, "ann")
    for _ in QUESTIONS:
        g.ask("host", T0)
        g.close("host")
    with pytest.raises(LiveNotAllowedError):
        g.ask("host", T0)


def test_the_demo_hosted_quizzes_are_playable_by_their_host_in_their_modes() -> None:
    from adapters.memory.trivia import DEMO_HOST, demo_quizzes

    hosted = {q.quiz_id: q for q in demo_quizzes() if q.content.mode is not Mode.SINGLE}
    assert set(hosted) == {"demo-casual", "demo-competitive", "demo-live"}
    for quiz_id, demo in hosted.items():
        assert (demo.owner, demo.active, demo.content.mode.value) == (
            DEMO_HOST, False, quiz_id.removeprefix("demo-"),
        )  # fmt: skip
        g = LiveGame.hosted(quiz_id, demo, DEMO_HOST)
        g.join("ann", T0)
        g.start(DEMO_HOST)
        for _ in g.rounds:
            questions, _ = g.ask(DEMO_HOST, T0)
            for q in questions:
                right = demo.content.questions[q.number - 1].correct_answer()
                g.answer("ann", q.number, right, T0)
            if g.state is LiveState.QUESTION:
                g.close(DEMO_HOST)
        assert g.end(DEMO_HOST) == ([Standing(1, "ann", 4)], ["ann"])
    assert rounds_of(hosted["demo-competitive"].content) == [(1, 2), (3, 4)]
