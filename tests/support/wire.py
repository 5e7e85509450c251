"""Domain commands from wire-shaped test data, built the way a request's body is: JSON text
through the bounded decoder, then the HTTP edge's own model (so tests keep the readable JSON
shapes of the API, and exact decimals)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from domain.orders.model import PlaceOrderRequest
from domain.shared.decoding import JsonLimits, decode_json
from domain.shared.errors import InvalidInputError
from domain.trivia.model import QuizContent, Response, checked_quiz
from entrypoints.http.errors import field_name
from entrypoints.http.models.games import AnswersInput
from entrypoints.http.models.orders import PlaceOrderInput
from entrypoints.http.models.trivia import QuizInput

M = TypeVar("M", bound=BaseModel)
_LIMITS = JsonLimits(max_bytes=4 * 1024 * 1024)


def edge(model: type[M], raw: object) -> M:
    """``raw`` as the edge reads it: its JSON text decoded, then validated by ``model``."""
    return model.model_validate(decode_json(json.dumps(raw), _LIMITS))


def problems(model: type[M], raw: object, check: Callable[[M], object]) -> set[str]:
    """The fields ``raw`` is refused for: by ``model`` (as a 422 of the edge names them),
    else by the domain's ``check`` of the validated model."""
    try:
        valid = edge(model, raw)
    except ValidationError as exc:
        return {field_name(e["loc"]) or "body" for e in exc.errors()}
    try:
        check(valid)
    except InvalidInputError as exc:
        return {e.field for e in exc.errors}
    return set()


def quiz(raw: Any) -> QuizContent:
    return edge(QuizInput, raw).content()


def quiz_problems(raw: object) -> set[str]:
    return problems(QuizInput, raw, lambda q: checked_quiz(q.content()))


def responses(*answers: tuple[int, int | str]) -> list[Response]:
    """``responses((1, 0), (2, "Danube"))``: answers by question number."""
    raw = {"responses": [{"questionNumber": n, "answer": a} for n, a in answers]}
    return edge(AnswersInput, raw).answers()


def order(raw: Any) -> PlaceOrderRequest:
    return edge(PlaceOrderInput, raw).command()
