"""Player progress, and the events a recorded play publishes with their payload codec.

The events travel as ``DomainEvent`` payloads (JSON objects on SNS and SQS, dicts on the
in-process bus); ``ScoreRecorded.of`` and ``ExperienceEarned.of`` read a payload back into a
typed value, refusing one that misses or mistypes a field (InvalidEventError), so a consumer
never meets a half-formed event.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from domain.shared.errors import FieldError, InvalidInputError
from domain.trivia.model import MAX_QUESTIONS, LeaderboardPolicy

#: Experience needed for levels 1 to 10; below 100 is level 0.
LEVEL_THRESHOLDS = (100, 250, 500, 800, 1100, 1500, 3000, 10000, 25000, 50000)

SCORE_RECORDED = "trivia.score-recorded"
EXPERIENCE_EARNED = "trivia.experience-earned"
_SCORE = re.compile(r"[0-9]{1,3}\.[0-9]{2}")
_MAX_NAME = 128
T = TypeVar("T")


def level(experience: int) -> int:
    return bisect.bisect_right(LEVEL_THRESHOLDS, experience)


@dataclass(frozen=True, slots=True)
class Progress:
    username: str
    experience: int = 0
    wins: int = 0

    @property
    def level(self) -> int:
        return level(self.experience)


class InvalidEventError(InvalidInputError):
    code = "invalid-event"
    title = "Invalid event"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", (FieldError(field, message),))


def _field(payload: Mapping[str, Any], name: str, kind: type[T]) -> T:
    value = payload.get(name)
    # ``type`` rather than isinstance: True is not an integer here.
    if type(value) is not kind:
        raise InvalidEventError(name, f"required {kind.__name__}")
    return value


def _name(payload: Mapping[str, Any], name: str) -> str:
    value = _field(payload, name, str)
    if not 1 <= len(value) <= _MAX_NAME:
        raise InvalidEventError(name, f"1 to {_MAX_NAME} characters")
    return value


def _count(payload: Mapping[str, Any], name: str, high: int) -> int:
    value = _field(payload, name, int)
    if not 0 <= value <= high:
        raise InvalidEventError(name, f"an integer from 0 to {high}")
    return value


_MAX_MILLIS = 2**53 - 1


@dataclass(frozen=True, slots=True)
class ScoreRecorded:
    """A recorded play's score, for the quiz's board; ``first``: the player's first play."""

    quiz_id: str
    player: str
    score: Decimal
    policy: LeaderboardPolicy
    first: bool
    achieved_at: int  # epoch ms

    def payload(self) -> dict[str, Any]:
        return {
            "quizId": self.quiz_id,
            "player": self.player,
            "score": format(self.score, "f"),
            "policy": self.policy.value,
            "first": self.first,
            "achievedAt": self.achieved_at,
        }

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> ScoreRecorded:
        score = _field(payload, "score", str)
        if not _SCORE.fullmatch(score) or Decimal(score) > 100:
            raise InvalidEventError("score", "a percentage with 2 decimals")
        policy = _field(payload, "policy", str)
        if policy not in {p.value for p in LeaderboardPolicy}:
            raise InvalidEventError("policy", "first or best")
        return cls(
            _name(payload, "quizId"),
            _name(payload, "player"),
            Decimal(score),
            LeaderboardPolicy(policy),
            _field(payload, "first", bool),
            _count(payload, "achievedAt", _MAX_MILLIS),
        )


@dataclass(frozen=True, slots=True)
class ExperienceEarned:
    """Experience (and wins) from a recorded play or a live game, credited to the player
    and, for a single-player play, the same experience to the author as a royalty
    (``author`` None: a live game, which pays none)."""

    quiz_id: str
    player: str
    author: str | None
    experience: int
    achieved_at: int  # epoch ms
    wins: int = 0

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "quizId": self.quiz_id,
            "player": self.player,
            "experience": self.experience,
            "achievedAt": self.achieved_at,
            "wins": self.wins,
        }
        if self.author is not None:
            payload["author"] = self.author
        return payload

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> ExperienceEarned:
        return cls(
            _name(payload, "quizId"),
            _name(payload, "player"),
            None if payload.get("author") is None else _name(payload, "author"),
            _count(payload, "experience", MAX_QUESTIONS),
            _count(payload, "achievedAt", _MAX_MILLIS),
            _count(payload, "wins", 1) if "wins" in payload else 0,
        )
