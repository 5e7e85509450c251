"""The live games' Lambda handlers driven with API Gateway WebSocket events, in an execution
environment of their own (a child interpreter invoking them one event at a time), on a real
Redis or on DynamoDB alone (``moto_server``), against a loopback server speaking the
Management API contract: ``POST
/@connections/{connectionId}`` with the frame as the body, 410 Gone for a gone connection."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.management_api import ManagementApi
from tests.support.services import (
    LOOPBACK,
    base_env,
    run_portside,
    start_redis,
    trivia_table,
)

# Reads one ``[handler, event]`` per line, answers one JSON line per invocation.
DRIVER = """
import json, sys
from entrypoints.aws_lambda import trivia_live

class Context:
    aws_request_id = "req-1"

for line in sys.stdin:
    name, event = json.loads(line)
    try:
        answer = getattr(trivia_live, name)(event, Context())
    except Exception as exc:
        answer = {"raised": type(exc).__name__, "detail": str(exc)}
    print(json.dumps(answer), flush=True)
"""


@pytest.fixture(params=["redis", "dynamodb"])
def live_state(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, str], Any]]:
    """The settings of shared live state (Redis, or DynamoDB alone as without ElastiCache),
    and a registry onto it to issue tickets with, as ``POST /live/tickets`` does."""
    if request.param == "dynamodb":
        from adapters.dynamodb.trivia_live import DynamoDBConnectionRegistry

        aws_env = request.getfixturevalue("aws_env")
        client, table = trivia_table(aws_env)
        made = run_portside(base_env(**aws_env, TRIVIA_TABLE=table), "init-aws", "--demo-data")
        assert made.returncode == 0, made.stderr  # the demo quizzes, in the table
        yield {**aws_env, "TRIVIA_TABLE": table}, lambda: DynamoDBConnectionRegistry(client, table)
        return
    from redis.asyncio import Redis

    from adapters.redis.trivia import RedisConnectionRegistry

    server = start_redis()
    url = f"redis://{LOOPBACK}:{server.port}/0"
    yield {"REDIS_URL": url}, lambda: RedisConnectionRegistry(Redis.from_url(url))
    server.stop()


class Environment:
    """One Lambda execution environment of the live handlers."""

    def __init__(self, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", DRIVER], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps([name, event]) + "\n")
        self._process.stdin.flush()
        answer: dict[str, Any] = json.loads(self._process.stdout.readline())
        return answer

    def close(self) -> None:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.close()
        self._process.wait(10)
        self._process.stdout.close()


def connect(connection: str, ticket: str) -> dict[str, Any]:
    return {
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT",
                           "connectionId": connection, "stage": "live"},
        "queryStringParameters": {"ticket": ticket},
        "isBase64Encoded": False,
    }  # fmt: skip


def message(connection: str, **frame: Any) -> dict[str, Any]:
    return {
        "requestContext": {"routeKey": "$default", "eventType": "MESSAGE",
                           "connectionId": connection, "stage": "live"},
        "body": json.dumps(frame),
        "isBase64Encoded": False,
    }  # fmt: skip


def disconnect(connection: str) -> dict[str, Any]:
    return {
        "requestContext": {"routeKey": "$disconnect", "eventType": "DISCONNECT",
                           "connectionId": connection, "stage": "live"},
    }  # fmt: skip


async def tickets(registry: Any, *players: str) -> list[str]:
    """Tickets as ``POST /live/tickets`` stores them (its route is the HTTP handler's)."""
    import time

    issued = []
    for player in players:
        ticket = f"ticket-{player}"
        await registry.issue_ticket(ticket, player, int(time.time() * 1000) + 30_000)
        issued.append(ticket)
    redis = getattr(registry, "_redis", None)
    if redis is not None:
        await redis.aclose()
    return issued


def test_the_websocket_handlers_play_a_game_and_prune_gone_connections(
    live_state: tuple[dict[str, str], Any],
) -> None:
    settings, registry = live_state
    with ManagementApi() as api:
        aws = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing"}  # fmt: skip
        env = base_env(**{**aws, **settings, "LIVE_CALLBACK_URL": api.url})
        host_ticket, ann_ticket, bob_ticket = asyncio.run(tickets(registry(), "host", "ann", "bob"))
        lambda_env = Environment(env)
        try:
            assert lambda_env.invoke("connect_handler", connect("h", host_ticket)) == {
                "statusCode": 200
            }
            assert lambda_env.invoke("connect_handler", connect("x", host_ticket)) == {
                "statusCode": 401  # used
            }
            assert lambda_env.invoke("connect_handler", connect("y", "forged")) == {
                "statusCode": 401
            }
            lambda_env.invoke("connect_handler", connect("a", ann_ticket))
            lambda_env.invoke("connect_handler", connect("b", bob_ticket))
            lambda_env.invoke("default_handler", message("h", action="host", quizId="demo-live"))
            history, hosted = api.frames["h"]  # the global chat's, with the first frame
            assert history == {"type": "chatHistory", "channel": "global", "messages": []}
            game = hosted["gameId"]
            for connection in ("a", "b"):
                lambda_env.invoke(
                    "default_handler", message(connection, action="join", gameId=game)
                )
            lambda_env.invoke("default_handler", message("a", action="start", gameId=game))
            assert api.frames["a"][-1]["code"] == "not-host"
            lambda_env.invoke("default_handler", message("h", action="start", gameId=game))
            lambda_env.invoke("default_handler", message("h", action="ask", gameId=game))
            assert api.frames["b"][-1]["type"] == "question"
            assert "correct" not in json.dumps(api.frames["b"])
            api.gone.add("b")  # bob's connection went away without a $disconnect
            lambda_env.invoke(
                "default_handler",
                message("a", action="answer", gameId=game, questionNumber=1, answer=1),
            )
            kinds = [f["type"] for f in api.frames["a"]]
            assert kinds[-4:] == ["answerReceived", "firstCorrect", "closed", "scoreboard"]
            assert api.gone_posts == ["b"]  # the first broadcast after bob left: 410, pruned
            lambda_env.invoke("default_handler", message("h", action="scoreboard", gameId=game))
            assert api.frames["h"][-1]["type"] == "scoreboard"
            assert api.gone_posts == ["b"]  # nothing is posted to a pruned connection
            lambda_env.invoke("disconnect_handler", disconnect("h"))
            assert api.frames["a"][-1] == {"type": "paused", "gameId": game}
            assert lambda_env.invoke("sweep_handler", {}) == {"statusCode": 200}
        finally:
            lambda_env.close()


def test_the_websocket_handlers_refuse_in_memory_live_state() -> None:
    lambda_env = Environment(base_env())
    try:
        answer = lambda_env.invoke("connect_handler", connect("c", "t"))
        assert answer["raised"] == "ConfigurationError"
        assert "REDIS_URL" in answer["detail"]
    finally:
        lambda_env.close()
