"""Lambda handlers of the live games behind an API Gateway WebSocket API, serving the same
use cases as the local ``/ws/trivia`` endpoint (``domain.trivia.sessions``):

- ``connect_handler`` (``$connect``): the ``ticket`` query parameter is redeemed; an invalid,
  used or expired one answers 401, which refuses the handshake (API Gateway cannot accept a
  connection and close it with a code, as the local server does);
- ``disconnect_handler`` (``$disconnect``): the connection is forgotten (a host's pauses the
  game);
- ``default_handler`` (``$default``): one frame, routed on its ``action``; replies and
  broadcasts go out through the Management API at ``LIVE_CALLBACK_URL``, a connection it
  answers 410 Gone for is removed;
- ``sweep_handler`` (a schedule, every minute): deadlines and host graces, as the local timer.

Live state must be shared between invocations: ``REDIS_URL``, or ``TRIVIA_TABLE`` alone (the
DynamoDB adapters, without ElastiCache); in memory the handlers refuse to start. The global
chat's history cannot be pushed during ``$connect`` (the connection is not open yet): it goes
out with the connection's first frame.
"""

from __future__ import annotations

import base64
from typing import Any

from domain.trivia.sessions import LiveSessions
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition

OK = {"statusCode": 200}


class LiveHandlers:
    def __init__(self, composition: Composition, run: Run) -> None:
        self._sessions: LiveSessions = composition.live_on_gateway.sessions
        self._run = run

    def connect(self, event: dict[str, Any]) -> dict[str, int]:
        ticket = (event.get("queryStringParameters") or {}).get("ticket") or ""
        player = self._run(self._sessions.connect(_connection(event), str(ticket), None))
        return OK if player is not None else {"statusCode": 401}

    def disconnect(self, event: dict[str, Any]) -> dict[str, int]:
        self._run(self._sessions.disconnect(_connection(event)))
        return OK

    def default(self, event: dict[str, Any]) -> dict[str, int]:
        body = event.get("body") or ""
        frame: str | bytes = body
        if event.get("isBase64Encoded"):
            frame = base64.b64decode(body, validate=False)  # a binary frame
        self._run(self._sessions.receive(_connection(event), frame))
        return OK

    def sweep(self) -> dict[str, int]:
        self._run(self._sessions.sweep())
        return OK


def _connection(event: dict[str, Any]) -> str:
    return str(event["requestContext"]["connectionId"])


_get = per_environment(LiveHandlers)


@correlated
def connect_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().connect(event)


@correlated
def disconnect_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().disconnect(event)


@correlated
def default_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().default(event)


@correlated
def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().sweep()
