"""Wire models of trivia games: the catalogue, a play and its answer board, progress."""

from dataclasses import dataclass
from typing import Annotated, Any, Self

from fastapi.responses import Response as HTTPResponse
from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema, to_json

from domain.trivia.model import (
    LIMITS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    Quiz,
    Response,
    ScoredPlay,
)
from domain.trivia.progress import Progress
from entrypoints.http.models.shared import (
    RequestModel,
    ResponseModel,
    whole,
)
from entrypoints.http.models.trivia import QuestionNumber


@dataclass(frozen=True, slots=True)
class GivenAnswer:
    """``Annotated[int | str, GivenAnswer()]``: an option's 0-based index (a whole number,
    never true) or the text of an open answer, as one field: a refusal names the field, not
    a branch of a union."""

    def check(self, value: object) -> int | str:
        if isinstance(value, str) and len(value) <= LIMITS["answer"]:
            return value
        number = whole(value)
        if type(number) is int and 0 <= number < MAX_OPTIONS:
            return number
        raise PydanticCustomError(
            "answer",
            f"an option's index from 0 to {MAX_OPTIONS - 1}, or a text of at most "
            f"{LIMITS['answer']} characters",
        )

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(
        self, schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {
            "description": "An option's 0-based index, or the text of an open answer.",
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_OPTIONS - 1},
                {"type": "string", "maxLength": LIMITS["answer"]},
            ],
        }


class AnswerInput(RequestModel):
    question_number: QuestionNumber
    answer: Annotated[int | str, GivenAnswer()]


class AnswersInput(RequestModel):
    """All of a player's answers at once; unanswered questions count as wrong."""

    responses: Annotated[list[AnswerInput], Field(max_length=MAX_QUESTIONS)]

    def answers(self) -> list[Response]:
        # tuple.__new__ makes each named tuple without a call of its Python-level __new__:
        # up to 100 a play, on trivia's hot route.
        new = tuple.__new__
        return [new(Response, (r.question_number, r.answer)) for r in self.responses]


class GameBody(ResponseModel):
    quiz_id: str
    name: str
    category: str
    author: str

    @classmethod
    def fields_of(cls, quiz: Quiz) -> dict[str, Any]:
        c = quiz.content
        return {
            "quiz_id": quiz.quiz_id,
            "name": c.name,
            "category": c.category,
            "author": quiz.owner,
        }


class GamesBody(ResponseModel):
    games: list[GameBody]
    cursor: str | None = Field(description="The next page's cursor; null on the last page.")


class PublicQuestionBody(ResponseModel):
    """A question as players see it: never its answer."""

    number: int
    text: str
    options: list[str] | None = None
    round: int | None = None


class GameDetailBody(GameBody):
    questions: list[PublicQuestionBody]

    @classmethod
    def of(cls, quiz: Quiz) -> Self:
        questions = [
            PublicQuestionBody(
                number=number,
                text=q.text,
                options=None if q.options is None else list(q.options),
                round=q.round,
            )
            for number, q in enumerate(quiz.content.questions, start=1)
        ]
        return cls(**cls.fields_of(quiz), questions=questions)


class AnswerRowBody(ResponseModel):
    question_number: int
    given: int | str | None
    correct: bool
    answer: int | str = Field(description="The correct option's index, or the answer.")
    follow_up: str | None


class ScoredPlayBody(ResponseModel):
    score: str = Field(pattern=r"^[0-9]{1,3}\.[0-9]{2}$", examples=["75.00"])
    correct: int
    total: int
    answers: list[AnswerRowBody]
    recorded: bool = Field(description="False for the author's own play (not on the board).")

    @staticmethod
    def response(scored: ScoredPlay, recorded: bool) -> HTTPResponse:
        """The answer, written straight to JSON in this model's wire names: this is trivia's
        hot route, and building and serializing the model cost about a tenth of a request
        (tests/e2e/test_trivia_server.py holds this JSON to the model)."""
        body = {
            "score": format(scored.score, "f"),
            "correct": scored.correct,
            "total": scored.total,
            "answers": [
                {
                    "questionNumber": row.number,
                    "given": row.given,
                    "correct": row.correct,
                    "answer": row.answer,
                    "followUp": row.follow_up,
                }
                for row in scored.answers
            ],
            "recorded": recorded,
        }
        # pydantic's serializer writes this JSON about four times faster than json.dumps.
        return HTTPResponse(to_json(body), media_type="application/json")


class ProgressBody(ResponseModel):
    username: str
    experience: int
    level: int
    wins: int

    @classmethod
    def of(cls, progress: Progress) -> Self:
        return cls(
            username=progress.username,
            experience=progress.experience,
            level=progress.level,
            wins=progress.wins,
        )


class JwksBody(ResponseModel):
    keys: list[dict[str, Any]] = Field(description="RFC 7517 JSON Web Keys (RSA, RS256).")
