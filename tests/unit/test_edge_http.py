"""The HTTP edge's rules where a server or a gateway leaves them to the app: bodies Mangum
hands on without a Content-Length, slow and abandoned bodies, zero lengths, strangers' bodies
on routes that need a token, and the WebSocket's pace."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from mangum import Mangum

from entrypoints.composition import compose
from entrypoints.http import edge
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio
EVENTS = Path(__file__).parents[1] / "events"
EVENT = json.loads((EVENTS / "apigw_http_v2_get_stock.json").read_text())


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create_app(compose(Settings(auth_dev_key_file=str(tmp_path / "key.pem"))))


def lambda_event(method: str, path: str, body: str, content_type: str | None) -> dict[str, Any]:
    """An HTTP API (v2) event with a body and no Content-Length, as API Gateway may send."""
    event = copy.deepcopy(EVENT)
    event["rawPath"], event["rawQueryString"] = path, ""
    event["requestContext"]["http"].update(method=method, path=path)
    headers = {k: v for k, v in event["headers"].items() if k != "content-length"}
    if content_type is not None:
        headers["content-type"] = content_type
    event.update(headers=headers, body=body, isBase64Encoded=False)
    return event


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "status"),
    [
        ("POST", "/orders", '{"requestToken": "t"}', "text/plain", 415),
        ("POST", "/orders", '{"requestToken": "t"}', "application/merge-patch+json", 415),
        ("POST", "/orders", '{"requestToken": "t"}', "application/json; charset=latin-1", 415),
        ("POST", "/orders", '{"requestToken": "t"}', "application/json", 422),
        ("GET", "/healthz", '{"a": 1}', "application/json", 415),
        ("GET", "/healthz", "", None, 200),
    ],
)
def test_through_lambda_a_body_without_a_length_is_held_to_the_same_rules(
    app: Any, method: str, path: str, body: str, content_type: str | None, status: int
) -> None:
    loop = asyncio.new_event_loop()  # Mangum's, closed here (it would leave its own open)
    asyncio.set_event_loop(loop)
    try:
        handler = Mangum(app, lifespan="off")
        answer = handler(lambda_event(method, path, body, content_type), None)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert answer["statusCode"] == status, answer["body"]


async def call(
    app: Any, scope: dict[str, Any], chunks: list[bytes | None], *, complete: bool = True
) -> tuple[int, bytes]:
    """One request straight through the ASGI app; ``None`` in ``chunks`` is a hang-up, and
    without ``complete`` the sender stalls after its chunks."""
    messages: list[dict[str, Any]] = []
    for chunk in chunks:
        if chunk is None:
            messages.append({"type": "http.disconnect"})
        else:
            messages.append({"type": "http.request", "body": chunk, "more_body": True})
    if complete:
        messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # a sender that stalls
        raise AssertionError("unreachable")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip


JSON_CHUNKED = {"content-type": "application/json", "transfer-encoding": "chunked"}


async def test_a_body_that_does_not_arrive_in_time_is_a_408(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge, "BODY_SECONDS", 0.2)
    started = time.monotonic()
    orders = scope("POST", "/orders", JSON_CHUNKED)
    status, body = await call(app, orders, [b'{"request'], complete=False)
    assert status == 408
    assert json.loads(body)["type"] == "/problems/request-timeout"
    assert time.monotonic() - started < 2


async def test_a_client_that_hangs_up_mid_body_is_no_error_of_ours(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        status, _ = await call(app, scope("POST", "/orders", JSON_CHUNKED), [b'{"req', None])
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_length_of_zero_however_written_is_no_body(app: Any) -> None:
    status, _ = await call(app, scope("GET", "/healthz", {"content-length": "00"}), [])
    assert status == 200


async def test_a_stranger_s_body_is_not_read_where_a_token_is_needed(app: Any) -> None:
    headers = {"content-type": "text/plain", "content-length": str(2 * 1024 * 1024)}
    # Neither the media type nor the length matters: without a token, a 401 and nothing read.
    status, body = await call(app, scope("POST", "/quizzes", headers), [b"x" * 10])
    assert status == 401
    assert json.loads(body)["type"] == "/problems/invalid-token"


async def test_the_live_board_is_pushed_at_its_pace_whatever_the_client_sends(app: Any) -> None:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for message in [{"type": "websocket.connect"}] + [
        {"type": "websocket.receive", "text": "x"} for _ in range(200)
    ]:
        inbox.put_nowait(message)
    boards: list[float] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            boards.append(time.monotonic())

    socket = {**scope("GET", "/ws/races/1", {}), "type": "websocket", "scheme": "ws"}
    session = asyncio.create_task(app(socket, inbox.get, send))
    await asyncio.sleep(1.2)  # 200 frames at once, then a second of quiet
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(session, 5)
    # One board at once, then one every 0.5 s: never one per frame the client sent.
    assert 2 <= len(boards) <= 4
