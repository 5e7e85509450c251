"""The all-routes Lambda app built a context at a time answers as the app of every context."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from entrypoints.aws_lambda.web import ContextApps
from entrypoints.composition import compose
from entrypoints.http.app import CONTEXT_OF_SEGMENT, CONTEXTS, create_app
from entrypoints.settings import Settings

pytestmark = pytest.mark.anyio
SHARED = {"healthz", "readyz", "app"}  # "app": the browser app, where sockets are held


def first_segments(contexts: tuple[str, ...], tmp_path: Path) -> set[str]:
    settings = Settings(auth_dev_key_file=str(tmp_path / "key.pem"))
    paths = create_app(compose(settings), contexts).openapi()["paths"]
    return {path.split("/")[1] for path in paths} - SHARED


def test_every_route_is_under_a_segment_of_its_own_context(tmp_path: Path) -> None:
    for context in CONTEXTS:
        own = first_segments((context,), tmp_path)
        assert own
        assert {CONTEXT_OF_SEGMENT[s] for s in own} == {context}
    assert first_segments(CONTEXTS, tmp_path) == set(CONTEXT_OF_SEGMENT)


REQUESTS = [
    ("GET", "/stock/AMZN?currencies=USD,JPY"),
    ("GET", "/stock/NOPE"),
    ("HEAD", "/stock/AMZN"),
    ("DELETE", "/stock/AMZN"),
    ("GET", "/leaderboards/class-3?limit=3"),
    ("GET", "/classes/1/leaderboard"),
    ("GET", "/inventory/ITEM001"),
    ("GET", "/wallet"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/healthz"),
    ("GET", "/nowhere"),
    ("GET", "/"),
    ("GET", "/openapi.json"),
]


async def test_each_request_is_answered_as_by_the_app_of_every_context(tmp_path: Path) -> None:
    settings = Settings(auth_dev_key_file=str(tmp_path / "key.pem"))
    whole = create_app(compose(settings), sockets=False)  # as the Lambda apps are built
    lazy = ContextApps(compose(settings), CONTEXTS)
    for method, url in REQUESTS:
        answers = []
        for app in (whole, lazy):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as c:
                answer = await c.request(method, url)
            headers = {k: v for k, v in answer.headers.items() if k != "x-request-id"}
            body: object = answer.content
            if answer.content and "json" in answer.headers.get("content-type", ""):
                body = answer.json()
                if isinstance(body, dict):
                    body.pop("requestId", None)  # a new one per request
            answers.append((answer.status_code, headers, body))
        assert answers[0] == answers[1], (method, url)
    # One app per context, and the app of every context for the shared paths.
    assert lazy.app_for("/stock/A") is lazy.app_for("/stock/B") is not lazy.app_for("/wallet")
    assert lazy.app_for("/healthz") is lazy.app_for("/nowhere") is not lazy.app_for("/stock/A")
