"""Wire models of the trivia context. Identity is never a field: it is the bearer token's."""

from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

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
)
from entrypoints.http.models.shared import (
    NOT_BLANK,
    UNKNOWN_FIELDS,
    WHOLE,
    RequestModel,
    ResponseModel,
)

#: Quiz ids: 32 hexadecimal digits, or the demo games' ``demo-<n>`` (never ``mine``).
QUIZ_ID = "[0-9a-f]{32}|demo-[0-9]{1,9}"
QuizId = Annotated[str, Field(pattern=f"^(?:{QUIZ_ID})$", examples=["demo-1"])]
Cursor = Annotated[
    str, Field(pattern=f"^{CURSOR.pattern}$", description="The previous page's `cursor`.")
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
