"""Wire models of the trivia context. Identity is never a field: it is the bearer token's."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from fastapi.responses import Response as HTTPResponse
from pydantic import ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError, core_schema, to_json

from domain.trivia.market import MAX_PRICE, MAX_REQUEST_TOKEN, Grant, Listing, coins
from domain.trivia.model import (
    CURSOR,
    LIMITS,
    MAX_ALTERNATIVES,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_ROUND,
    MIN_OPTIONS,
    LeaderboardPolicy,
    Mode,
    Question,
    Quiz,
    QuizContent,
    Response,
    ScoredPlay,
)
from domain.trivia.progress import Progress
from entrypoints.http.models.shared import (
    NOT_BLANK,
    UNKNOWN_FIELDS,
    WHOLE,
    ExactDecimal,
    RequestModel,
    ResponseModel,
    whole,
)

#: Quiz ids: 32 hexadecimal digits, or the demo games' ``demo-<n>`` (never ``mine``); listing
#: ids: 32 hexadecimal digits.
QUIZ_ID = "[0-9a-f]{32}|demo-[0-9]{1,9}"
LISTING_ID = "[0-9a-f]{32}"
QuizId = Annotated[str, Field(pattern=f"^(?:{QUIZ_ID})$", examples=["demo-1"])]
Cursor = Annotated[
    str, Field(pattern=f"^{CURSOR.pattern}$", description="The previous page's `cursor`.")
]
Coins = Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]{2}$", examples=["200.00"])]
Price = Annotated[
    Decimal,
    ExactDecimal(
        "Coins, more than 0 and at most 100000.00, in whole cents.",
        string=r"[0-9]{1,6}(\.[0-9]{1,2})?",
        minimum=Decimal(0),
        maximum=MAX_PRICE,
        exclusive=True,
    ),
]
QuestionText = Annotated[str, Field(max_length=LIMITS["text"], pattern=NOT_BLANK)]
Option = Annotated[str, Field(max_length=LIMITS["option"], pattern=NOT_BLANK)]
AnswerText = Annotated[str, Field(max_length=LIMITS["answer"], pattern=NOT_BLANK)]
FollowUp = Annotated[str, Field(max_length=LIMITS["followUp"])]
OptionIndex = Annotated[int, Field(ge=0, le=MAX_OPTIONS - 1), WHOLE]
Round = Annotated[int, Field(ge=1, le=MAX_ROUND), WHOLE]
QuestionNumber = Annotated[
    int, Field(ge=1, le=MAX_QUESTIONS, description="1-based; at most the quiz's count."), WHOLE
]


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


#: A quiz question is one of two kinds: the schema says which fields each needs (a field that
#: is null counts as absent, as the model reads it).
_OPTIONS: JsonDict = {"required": ["options"], "properties": {"options": {"type": "array"}}}
_QUESTION_KINDS: JsonDict = {
    "anyOf": [
        {"required": ["options", "correct"], "properties": {
            "options": {"type": "array"}, "correct": {"type": "integer"}}},
        {"required": ["answer"], "properties": {"answer": {"type": "string"}}},
    ],
    "not": {"anyOf": [
        {"allOf": [_OPTIONS, {"required": ["answer"], "properties": {
            "answer": {"type": "string"}}}]},
        {"allOf": [_OPTIONS, {"required": ["alternatives"], "properties": {
            "alternatives": {"type": "array", "minItems": 1}}}]},
    ]},
}  # fmt: skip


class QuestionInput(RequestModel):
    """Multiple choice (``options`` and the 0-based index ``correct`` of the right one) or
    open (an ``answer`` and accepted ``alternatives``, matched trimmed and ignoring case)."""

    model_config = ConfigDict(json_schema_extra={**UNKNOWN_FIELDS, **_QUESTION_KINDS})

    text: QuestionText
    options: (
        Annotated[list[Option], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)] | None
    ) = None
    correct: OptionIndex | None = Field(None, description="The index of one of the options.")
    answer: AnswerText | None = None
    alternatives: Annotated[
        list[AnswerText], Field(default_factory=list, max_length=MAX_ALTERNATIVES)
    ]
    follow_up: FollowUp | None = None
    round: Round | None = None

    def question(self) -> Question:
        options = None if self.options is None else tuple(self.options)
        return Question(
            self.text,
            options,
            self.correct,
            self.answer,
            tuple(self.alternatives),
            self.follow_up,
            self.round,
        )


class QuizInput(RequestModel):
    """A quiz as its author writes it."""

    name: Annotated[str, Field(max_length=LIMITS["name"], pattern=NOT_BLANK)]
    description: Annotated[str, Field(max_length=LIMITS["description"])] = ""
    category: Annotated[str, Field(max_length=LIMITS["category"], pattern=NOT_BLANK)]
    mode: Literal["single", "casual", "competitive", "live"] = "single"
    leaderboard_policy: Literal["first", "best"] = Field(
        "first", description="Which play of a player counts on the quiz's board."
    )
    questions: Annotated[list[QuestionInput], Field(min_length=1, max_length=MAX_QUESTIONS)]

    def content(self) -> QuizContent:
        return QuizContent(
            self.name,
            self.description,
            self.category,
            Mode(self.mode),
            LeaderboardPolicy(self.leaderboard_policy),
            tuple(q.question() for q in self.questions),
        )


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


class GrantInput(RequestModel):
    request_token: Annotated[
        str,
        Field(
            max_length=MAX_REQUEST_TOKEN,
            pattern=NOT_BLANK,
            description="The client's key for this request: a retry with it replays the answer.",
        ),
    ]


class ListingInput(RequestModel):
    quiz_id: QuizId
    price: Price


# -- answers ---------------------------------------------------------------------------------


class QuestionBody(ResponseModel):
    text: str
    options: list[str] | None = None
    correct: int | None = None
    answer: str | None = None
    alternatives: list[str] | None = None
    follow_up: str | None = None
    round: int | None = None


class QuizBody(ResponseModel):
    """The whole quiz, answers included: for its owner only."""

    quiz_id: str
    owner: str
    name: str
    description: str
    category: str
    mode: Mode
    leaderboard_policy: LeaderboardPolicy
    questions: list[QuestionBody]
    active: bool
    purchased_from: str | None = Field(description="The original's id, for a bought copy.")

    @classmethod
    def of(cls, quiz: Quiz) -> Self:
        c = quiz.content
        questions = [
            QuestionBody(
                text=q.text,
                options=None if q.options is None else list(q.options),
                correct=q.correct,
                answer=q.answer,
                alternatives=None if q.options is not None else list(q.alternatives),
                follow_up=q.follow_up,
                round=q.round,
            )
            for q in c.questions
        ]
        return cls(
            quiz_id=quiz.quiz_id,
            owner=quiz.owner,
            name=c.name,
            description=c.description,
            category=c.category,
            mode=c.mode,
            leaderboard_policy=c.policy,
            questions=questions,
            active=quiz.active,
            purchased_from=quiz.source,
        )


class QuizSummaryBody(ResponseModel):
    quiz_id: str
    name: str
    category: str
    mode: Mode
    active: bool
    question_count: int

    @classmethod
    def of(cls, quiz: Quiz) -> Self:
        c = quiz.content
        return cls(
            quiz_id=quiz.quiz_id,
            name=c.name,
            category=c.category,
            mode=c.mode,
            active=quiz.active,
            question_count=len(c.questions),
        )


class MyQuizzesBody(ResponseModel):
    quizzes: list[QuizSummaryBody]


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


class WalletBody(ResponseModel):
    balance: Coins


class GrantBody(ResponseModel):
    day: str = Field(description="The UTC day of the grant (ISO 8601).")
    granted: Coins
    balance: Coins

    @classmethod
    def of(cls, grant: Grant) -> Self:
        return cls(day=grant.day, granted=coins(grant.amount), balance=coins(grant.balance))


class ListingBody(ResponseModel):
    listing_id: str
    quiz_id: str
    price: Coins
    seller: str
    name: str
    category: str
    question_count: int
    listed_at: int = Field(description="Epoch milliseconds.")

    @classmethod
    def of(cls, listing: Listing) -> Self:
        return cls(
            listing_id=listing.listing_id,
            quiz_id=listing.quiz_id,
            price=coins(listing.price),
            seller=listing.seller,
            name=listing.name,
            category=listing.category,
            question_count=listing.question_count,
            listed_at=listing.listed_at,
        )


class MarketplaceBody(ResponseModel):
    listings: list[ListingBody]
    cursor: str | None = Field(description="The next page's cursor; null on the last page.")


class PurchaseBody(ResponseModel):
    quiz_id: str = Field(description="The buyer's own copy.")
    balance: Coins


class JwksBody(ResponseModel):
    keys: list[dict[str, Any]] = Field(description="RFC 7517 JSON Web Keys (RSA, RS256).")
