"""Trivia quizzes: validation of what authors write, and server-side scoring of a play.

A quiz belongs to its author. Its questions are multiple choice (2-4 options, exactly one
correct, given as the 0-based ``correct`` index) or open answer (an ``answer`` and accepted
``alternatives``, matched trimmed and case-insensitively). Players only ever see a game's
questions without answers; correct answers leave the server only in the answer board of a
scored play (or to the owner).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple

from domain.shared.errors import FieldError
from domain.trivia.errors import InvalidCursorError, InvalidQuizError, InvalidResponsesError

MAX_QUESTIONS = 100
MAX_OPTIONS, MIN_OPTIONS = 4, 2
MAX_ALTERNATIVES = 10
# Text limits, in characters (the reference had none).
LIMITS = {
    "name": 100,
    "description": 1000,
    "category": 50,
    "text": 500,
    "option": 200,
    "answer": 200,
    "followUp": 1000,
}
MAX_ROUND = 100
#: A page cursor: the epoch milliseconds and id of the last item before the page (ASCII
#: digits only: ``int`` would also read "²" or Arabic-Indic digits).
CURSOR = re.compile(r"[0-9]{1,15}\.[A-Za-z0-9_-]{1,64}")


class Mode(StrEnum):
    SINGLE = "single"
    CASUAL = "casual"
    COMPETITIVE = "competitive"
    LIVE = "live"


class LeaderboardPolicy(StrEnum):
    """Which play counts on the quiz's board: a player's first, or their best."""

    FIRST = "first"
    BEST = "best"


@dataclass(frozen=True, slots=True)
class Question:
    """One question; ``options``/``correct`` for multiple choice, else ``answer``."""

    text: str
    options: tuple[str, ...] | None = None
    correct: int | None = None
    answer: str | None = None
    alternatives: tuple[str, ...] = ()
    follow_up: str | None = None
    round: int | None = None

    @property
    def multiple_choice(self) -> bool:
        return self.options is not None

    def accepts(self, response: int | str | None) -> bool:
        """Whether a player's response is correct (an option index, or a text)."""
        if self.options is not None:
            return type(response) is int and response == self.correct  # never True for 1
        if not isinstance(response, str) or self.answer is None:
            return False
        given = response.strip().casefold()
        return any(given == a.strip().casefold() for a in (self.answer, *self.alternatives))

    def correct_answer(self) -> int | str:
        if self.options is not None:
            assert self.correct is not None
            return self.correct
        assert self.answer is not None
        return self.answer


@dataclass(frozen=True, slots=True)
class QuizContent:
    """What an author writes: everything but the id, owner and status."""

    name: str
    description: str
    category: str
    mode: Mode
    policy: LeaderboardPolicy
    questions: tuple[Question, ...]

    def accepts(self, number: int, response: int | str) -> bool:
        """Whether ``response`` is right for question ``number`` (False for no such one)."""
        return 1 <= number <= len(self.questions) and self.questions[number - 1].accepts(response)


@dataclass(frozen=True, slots=True)
class Quiz:
    """A stored quiz. ``source`` is the original's id for a purchased copy (not resold)."""

    quiz_id: str
    owner: str
    content: QuizContent
    active: bool = False
    source: str | None = None
    created_at: int = 0  # epoch ms

    @property
    def position(self) -> tuple[int, str]:
        """Where it stands in a list: lists run newest first, the id breaking ties (in
        DynamoDB, the sort key ``<created>#<id>`` read backwards)."""
        return (self.created_at, self.quiz_id)


@dataclass(frozen=True, slots=True)
class AnswerBoardRow:
    number: int
    given: int | str | None
    correct: bool
    answer: int | str
    follow_up: str | None


@dataclass(frozen=True, slots=True)
class ScoredPlay:
    """A play scored on the server: percent (2 places), counts and the answer board."""

    quiz_id: str
    player: str
    score: Decimal
    correct: int
    total: int
    answers: tuple[AnswerBoardRow, ...] = field(default=())


def page_cursor(position: tuple[int, str]) -> str:
    """The cursor of the page that follows the item (a quiz or a listing) at ``position``
    (created, id) in a newest-first list (opaque to clients)."""
    created_at, item_id = position
    return f"{created_at}.{item_id}"


def parse_page_cursor(cursor: str) -> tuple[int, str]:
    """The (created, id) of the last item before the next page; InvalidCursorError if this
    is not a cursor ``page_cursor`` made."""
    created, _, item_id = cursor.partition(".")
    if not CURSOR.fullmatch(cursor):
        raise InvalidCursorError()
    return (int(created), item_id)


# -- what authors write: the quiz's invariants ----------------------------------------------


def checked_quiz(content: QuizContent) -> QuizContent:
    """The content with its texts trimmed, if it keeps every rule of a quiz (1 to 100
    questions; multiple choice: 2 to 4 options, ``correct`` one of their indexes; open: an
    answer and up to 10 alternatives; non-blank texts within ``LIMITS``); else
    InvalidQuizError naming every bad field (in the wire's names)."""
    errors: list[FieldError] = []

    def text(value: str, limit: str, where: str, *, required: bool = True) -> str:
        if required and not value.strip():
            errors.append(FieldError(where, "required text"))
        elif len(value) > LIMITS[limit]:
            errors.append(FieldError(where, f"at most {LIMITS[limit]} characters"))
        return value.strip()

    name = text(content.name, "name", "name")
    description = text(content.description, "description", "description", required=False)
    category = text(content.category, "category", "category")
    if not 1 <= len(content.questions) <= MAX_QUESTIONS:
        errors.append(FieldError("questions", f"a list of 1 to {MAX_QUESTIONS} questions"))
    questions = []
    for index, q in enumerate(content.questions):
        where = f"questions[{index}]"
        body = text(q.text, "text", f"{where}.text")
        follow_up = None
        if q.follow_up is not None:
            follow_up = text(q.follow_up, "followUp", f"{where}.followUp", required=False)
        if q.round is not None and not 1 <= q.round <= MAX_ROUND:
            errors.append(FieldError(f"{where}.round", f"an integer from 1 to {MAX_ROUND}"))
        if q.options is not None:
            if q.answer is not None or q.alternatives:
                errors.append(FieldError(where, "either options and correct, or answer"))
            if not MIN_OPTIONS <= len(q.options) <= MAX_OPTIONS:
                span = f"{MIN_OPTIONS} to {MAX_OPTIONS}"
                errors.append(FieldError(f"{where}.options", f"a list of {span} options"))
            options = tuple(
                text(o, "option", f"{where}.options[{i}]") for i, o in enumerate(q.options)
            )
            if q.correct is None or not 0 <= q.correct < max(len(options), 1):
                errors.append(
                    FieldError(f"{where}.correct", "the 0-based index of the one correct option")
                )
            questions.append(Question(body, options, q.correct, None, (), follow_up, q.round))
            continue
        answer = text(q.answer or "", "answer", f"{where}.answer")
        if len(q.alternatives) > MAX_ALTERNATIVES:
            errors.append(
                FieldError(f"{where}.alternatives", f"a list of up to {MAX_ALTERNATIVES}")
            )
        alternatives = tuple(
            text(a, "answer", f"{where}.alternatives[{i}]") for i, a in enumerate(q.alternatives)
        )
        questions.append(Question(body, None, None, answer, alternatives, follow_up, q.round))
    if errors:
        raise InvalidQuizError("The quiz is not valid.", tuple(errors))
    return QuizContent(name, description, category, content.mode, content.policy, tuple(questions))


# -- playing ---------------------------------------------------------------------------------


class Response(NamedTuple):
    """A player's answer to one question: an option's index, or a text. (A named tuple: a
    play carries up to 100 of them, and a frozen dataclass costs five times as much to
    make.)"""

    question_number: int
    answer: int | str


def answers_by_number(responses: Sequence[Response], total: int) -> dict[int, int | str]:
    """The answers by question number; InvalidResponsesError for a number outside 1 to
    ``total`` or answered twice (named by the response's index)."""
    errors: list[FieldError] = []
    answers: dict[int, int | str] = {}
    for index, (number, answer) in enumerate(responses):
        if 1 <= number <= total and number not in answers:
            answers[number] = answer
            continue
        where = f"responses[{index}].questionNumber"
        if number in answers:
            errors.append(FieldError(where, "answered twice"))
        else:
            errors.append(FieldError(where, f"an integer from 1 to {total}"))
    if errors:
        raise InvalidResponsesError("The responses are not valid.", tuple(errors))
    return answers


def score_play(quiz: Quiz, player: str, answers: Mapping[int, int | str]) -> ScoredPlay:
    """Score every question (unanswered ones are wrong) and build the answer board."""
    rows = []
    for number, q in enumerate(quiz.content.questions, start=1):
        given = answers.get(number)
        rows.append(
            AnswerBoardRow(number, given, q.accepts(given), q.correct_answer(), q.follow_up)
        )
    correct = sum(row.correct for row in rows)
    total = len(rows)
    percent = (Decimal(100) * correct / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return ScoredPlay(quiz.quiz_id, player, percent, correct, total, tuple(rows))
