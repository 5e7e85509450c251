"""The live-game protocol's frames (``docs/trivia-live.md``; the spec's "Wire shapes").

A client frame is decoded once by the bounded decoder (8 KB, shallow) into one typed
command; anything else raises InvalidFrameError or UnknownActionError, whose ``code`` is the
error code sent back. Server messages are built here too, so both transports (the local
WebSocket endpoint and the API Gateway handlers) send the same shapes, and a question is
only ever encoded from a ``PublicQuestion``, which holds no answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.shared.decoding import JsonLimits, UndecodableError, decode_json
from domain.shared.errors import DomainError, InvalidInputError, UnavailableError
from domain.trivia.live import ChatMessage, LiveGame, PublicQuestion, Reveal, Standing

#: A client frame: 8 KB at most (the spec), one level of object.
FRAME_LIMITS = JsonLimits(max_bytes=8 * 1024, max_depth=2)
MAX_ID = 128
MAX_ANSWER = 500
GAME_ACTIONS = frozenset({"join", "start", "ask", "close", "scoreboard", "end"})
ACTIONS = GAME_ACTIONS | {"host", "answer", "chat"}


class InvalidFrameError(InvalidInputError):
    code = "invalid-frame"
    title = "Invalid frame"

    def __init__(self, detail: str, action: str | None = None) -> None:
        super().__init__(detail)
        #: The frame's action, when it had one of ours (the error frame names it).
        self.action = action


class UnknownActionError(InvalidInputError):
    code = "unknown-action"
    title = "Unknown action"


class RateLimitedError(InvalidInputError):
    code = "rate-limited"
    title = "Too many messages"


@dataclass(frozen=True, slots=True)
class HostCommand:
    quiz_id: str
    question_seconds: int | None
    action: str = "host"


@dataclass(frozen=True, slots=True)
class GameCommand:
    """join, start, ask, close, scoreboard or end of one game."""

    action: str
    game_id: str


@dataclass(frozen=True, slots=True)
class AnswerCommand:
    game_id: str
    number: int
    answer: int | str
    action: str = "answer"


@dataclass(frozen=True, slots=True)
class ChatCommand:
    channel: str
    text: str
    action: str = "chat"


Command = HostCommand | GameCommand | AnswerCommand | ChatCommand


def decode_frame(frame: str | bytes) -> Command:
    """The command in one client frame (see the module docstring)."""
    try:
        body = decode_json(frame, FRAME_LIMITS, "frame")
    except UndecodableError as exc:
        raise InvalidFrameError(f"not a JSON object within bounds: {exc.reason}") from exc
    if not isinstance(body, dict):
        raise InvalidFrameError("a frame is one JSON object")
    action = body.get("action")
    if not isinstance(action, str):
        raise InvalidFrameError("action: required string")
    try:
        return _command(action, body)
    except InvalidFrameError as exc:
        known = action if action in ACTIONS else None
        raise InvalidFrameError(exc.detail, known) from None


def _command(action: str, body: Mapping[str, object]) -> Command:
    if action == "host":
        seconds = body.get("questionSeconds")
        if seconds is not None and type(seconds) is not int:
            raise InvalidFrameError("questionSeconds: an integer")
        return HostCommand(_text(body, "quizId", MAX_ID), seconds)
    if action in GAME_ACTIONS:
        return GameCommand(action, _text(body, "gameId", MAX_ID))
    if action == "answer":
        number, answer = body.get("questionNumber"), body.get("answer")
        if type(number) is not int:
            raise InvalidFrameError("questionNumber: required integer")
        if type(answer) is not int and not (isinstance(answer, str) and len(answer) <= MAX_ANSWER):
            raise InvalidFrameError(f"answer: an option index or text of {MAX_ANSWER} at most")
        return AnswerCommand(_text(body, "gameId", MAX_ID), number, answer)
    if action == "chat":
        text = body.get("text")
        if not isinstance(text, str):
            raise InvalidFrameError("text: required string")
        return ChatCommand(_text(body, "channel", MAX_ID + 5), text)
    raise UnknownActionError(f"unknown action {action[:40]!r}")


def _text(body: Mapping[str, object], name: str, longest: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise InvalidFrameError(f"{name}: required string of 1 to {longest} characters")
    return value


# -- server messages ---------------------------------------------------------------------


def encode(message: Mapping[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


#: The protocol's error codes; a domain error without one of its own is sent as the nearest.
ERROR_CODES = frozenset(
    {
        "invalid-frame", "unknown-action", "unknown-game", "not-host", "not-in-game",
        "game-not-started", "game-ended", "question-closed", "already-answered",
        "rate-limited", "not-allowed",
    }
)  # fmt: skip


def wire_code(exc: DomainError) -> str:
    """The protocol's code for ``exc``; ``unavailable`` (an addition to the spec's list) for a
    store that cannot answer, which the client may retry."""
    if exc.code in ERROR_CODES:
        return exc.code
    if isinstance(exc, InvalidInputError):
        return "invalid-frame"
    if isinstance(exc, UnavailableError):
        return "unavailable"
    return "not-allowed"  # a quiz that is not the sender's, say


def error(exc: DomainError, action: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "error", "code": wire_code(exc), "detail": exc.detail}
    if action is not None:
        message["action"] = action
    return message


def hosted(game: LiveGame) -> dict[str, Any]:
    return {
        "type": "hosted",
        "gameId": game.game_id,
        "mode": game.mode.value,
        "quizId": game.quiz_id,
        "name": game.content.name,
        "questions": len(game.content.questions),
        "rounds": len(game.rounds),
    }


def joined(game: LiveGame) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "joined",
        "gameId": game.game_id,
        "mode": game.mode.value,
        "name": game.content.name,
        "host": game.host,
        "players": list(game.players),
        "state": game.state.value,
        "started": game.started,
        "paused": game.paused_at is not None,
    }
    if open_questions := game.open_questions():
        assert game.closes_at is not None
        message["question"] = question(game.game_id, open_questions, game.closes_at)
    return message


def question(game_id: str, questions: Sequence[PublicQuestion], closes_at: int) -> dict[str, Any]:
    public = []
    for q in questions:
        shown: dict[str, Any] = {"number": q.number, "text": q.text}
        if q.options is not None:
            shown["options"] = list(q.options)
        public.append(shown)
    return {"type": "question", "gameId": game_id, "questions": public, "closesAt": closes_at}


def closed(game_id: str, reveals: Sequence[Reveal]) -> dict[str, Any]:
    shown = []
    for reveal in reveals:
        item: dict[str, Any] = {"number": reveal.number, "correct": reveal.correct}
        if reveal.follow_up is not None:
            item["followUp"] = reveal.follow_up
        shown.append(item)
    return {"type": "closed", "gameId": game_id, "questions": shown}


def entries(standings: Sequence[Standing]) -> list[dict[str, Any]]:
    return [{"rank": s.rank, "player": s.player, "score": s.score} for s in standings]


def scoreboard(game_id: str, standings: Sequence[Standing]) -> dict[str, Any]:
    return {"type": "scoreboard", "gameId": game_id, "entries": entries(standings)}


def final(game_id: str, standings: Sequence[Standing], winners: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "final",
        "gameId": game_id,
        "entries": entries(standings),
        "winners": list(winners),
    }


def chat(message: ChatMessage) -> dict[str, Any]:
    return {
        "type": "chat",
        "channel": message.channel,
        "from": message.sender,
        "text": message.text,
        "at": message.at,
    }


def chat_history(channel: str, messages: Sequence[ChatMessage]) -> dict[str, Any]:
    return {"type": "chatHistory", "channel": channel, "messages": [chat(m) for m in messages]}
