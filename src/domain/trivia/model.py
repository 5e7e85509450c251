"""Trivia quizzes: validation of what authors write, and server-side scoring of a play.

A quiz belongs to its author. Its questions are multiple choice (2-4 options, exactly one
correct, given as the 0-based ``correct`` index) or open answer (an ``answer`` and accepted
``alternatives``, matched trimmed and case-insensitively). Players only ever see
``public_questions``; correct answers leave the server only in the answer board of a scored
play (or to the owner).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

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

    def accepts(self, response: object) -> bool:
        """Whether a player's response is correct (an option index, or a text)."""
        if self.options is not None:
            return type(response) is int and response == self.correct
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
    given: object
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
    if not created.isdigit() or not item_id:
        raise InvalidCursorError()
    return (int(created), item_id)


# -- parsing what authors send ---------------------------------------------------------------


def parse_quiz(raw: object) -> QuizContent:
    """Validate a quiz document (the wire shape); InvalidQuizError names every bad field."""
    errors: list[FieldError] = []
    if not isinstance(raw, Mapping):
        raise InvalidQuizError("A quiz must be a JSON object.", (FieldError("body", "object"),))

    def text(name: str, where: str, source: Mapping[str, Any], *, required: bool = True) -> str:
        value = source.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            errors.append(FieldError(where, "required text" if required else "must be text"))
            return ""
        limit = LIMITS[name]
        if len(value) > limit:
            errors.append(FieldError(where, f"at most {limit} characters"))
        return value.strip()

    name = text("name", "name", raw)
    description = text("description", "description", raw, required=False)
    category = text("category", "category", raw)
    mode = _choice(raw, "mode", Mode, Mode.SINGLE, errors)
    policy = _choice(raw, "leaderboardPolicy", LeaderboardPolicy, LeaderboardPolicy.FIRST, errors)
    questions: list[Question] = []
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, list) or not 1 <= len(raw_questions) <= MAX_QUESTIONS:
        errors.append(FieldError("questions", f"a list of 1 to {MAX_QUESTIONS} questions"))
        raw_questions = []
    for index, q in enumerate(raw_questions):
        where = f"questions[{index}]"
        if not isinstance(q, Mapping):
            errors.append(FieldError(where, "must be an object"))
            continue
        questions.append(_question(q, where, text, errors))
    if errors:
        raise InvalidQuizError("The quiz is not valid.", tuple(errors))
    return QuizContent(name, description, category, mode, policy, tuple(questions))


def _choice(
    raw: Mapping[str, Any], name: str, kind: type[Any], default: Any, errors: list[FieldError]
) -> Any:
    value = raw.get(name, default)
    try:
        return kind(value)
    except ValueError:
        allowed = "|".join(member.value for member in kind)
        errors.append(FieldError(name, f"one of {allowed}"))
        return default


def _question(q: Mapping[str, Any], where: str, text: Any, errors: list[FieldError]) -> Question:
    body = text("text", f"{where}.text", q)
    follow_up = text("followUp", f"{where}.followUp", q, required=False) or None
    round_ = q.get("round")
    if round_ is not None and (type(round_) is not int or not 1 <= round_ <= MAX_ROUND):
        errors.append(FieldError(f"{where}.round", f"an integer from 1 to {MAX_ROUND}"))
        round_ = None
    if "options" in q:
        if "answer" in q or "alternatives" in q:
            errors.append(FieldError(where, "either options and correct, or answer"))
        options = q["options"]
        if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            errors.append(
                FieldError(f"{where}.options", f"a list of {MIN_OPTIONS} to {MAX_OPTIONS} options")
            )
            options = []
        parsed = tuple(_option(o, f"{where}.options[{i}]", errors) for i, o in enumerate(options))
        correct = q.get("correct")
        if type(correct) is not int or not 0 <= correct < max(len(parsed), 1):
            errors.append(
                FieldError(f"{where}.correct", "the 0-based index of the one correct option")
            )
            correct = 0
        return Question(body, parsed, correct, None, (), follow_up, round_)
    answer = text("answer", f"{where}.answer", q)
    alternatives = q.get("alternatives", [])
    if not isinstance(alternatives, list) or len(alternatives) > MAX_ALTERNATIVES:
        errors.append(FieldError(f"{where}.alternatives", f"a list of up to {MAX_ALTERNATIVES}"))
        alternatives = []
    alts = tuple(
        _option(a, f"{where}.alternatives[{i}]", errors) for i, a in enumerate(alternatives)
    )
    return Question(body, None, None, answer, alts, follow_up, round_)


def _option(value: object, where: str, errors: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(where, "required text"))
        return ""
    if len(value) > LIMITS["option"]:
        errors.append(FieldError(where, f"at most {LIMITS['option']} characters"))
    return value.strip()


def quiz_document(content: QuizContent) -> dict[str, Any]:
    """The quiz in its wire shape, answers included (``parse_quiz`` reads it back)."""

    def question(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {"text": q.text}
        if q.options is not None:
            out |= {"options": list(q.options), "correct": q.correct}
        else:
            out |= {"answer": q.answer, "alternatives": list(q.alternatives)}
        if q.follow_up is not None:
            out["followUp"] = q.follow_up
        if q.round is not None:
            out["round"] = q.round
        return out

    return {
        "name": content.name,
        "description": content.description,
        "category": content.category,
        "mode": content.mode.value,
        "leaderboardPolicy": content.policy.value,
        "questions": [question(q) for q in content.questions],
    }


# -- playing ---------------------------------------------------------------------------------


def public_questions(quiz: Quiz) -> list[dict[str, Any]]:
    """The questions as players see them: number, text, options; never an answer."""
    out: list[dict[str, Any]] = []
    for number, q in enumerate(quiz.content.questions, start=1):
        row: dict[str, Any] = {"number": number, "text": q.text}
        if q.options is not None:
            row["options"] = list(q.options)
        if q.round is not None:
            row["round"] = q.round
        out.append(row)
    return out


def parse_responses(raw: object, total: int) -> dict[int, object]:
    """``{"responses": [{"questionNumber", "answer"}]}`` → answers by question number."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("responses"), list):
        raise InvalidResponsesError(
            'Send {"responses": [{"questionNumber": n, "answer": ...}]}.',
            (FieldError("responses", "a list of responses"),),
        )
    errors: list[FieldError] = []
    answers: dict[int, object] = {}
    for index, item in enumerate(raw["responses"]):
        where = f"responses[{index}]"
        number = item.get("questionNumber") if isinstance(item, Mapping) else None
        if type(number) is not int or not 1 <= number <= total:
            errors.append(FieldError(f"{where}.questionNumber", f"an integer from 1 to {total}"))
            continue
        if number in answers:
            errors.append(FieldError(f"{where}.questionNumber", "answered twice"))
            continue
        answer = item.get("answer")
        if type(answer) is not int and not isinstance(answer, str):
            errors.append(FieldError(f"{where}.answer", "an option index or a text"))
            continue
        answers[number] = answer
    if errors:
        raise InvalidResponsesError("The responses are not valid.", tuple(errors))
    return answers


def score_play(quiz: Quiz, player: str, answers: Mapping[int, object]) -> ScoredPlay:
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
