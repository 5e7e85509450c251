"""Lambda handlers for HTTP routes (API Gateway REST v1, HTTP API v2, function URLs) through
Mangum: ``http.handler`` serves every route, ``http_<context>.handler`` one context's.

A handler of several contexts builds them one at a time (``ContextApps``): a request for a
path of one context is served by an app of that context alone, built on the first such
request; any other path (``/healthz``, ``/readyz``, ``/docs``, ``/openapi.json``, an unknown
one) by the app of every served context. So a cold start pays for the context it serves,
and each other context costs its build once, on its first request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.types import ASGIApp, Receive, Scope, Send

from entrypoints.aws_lambda.environment import correlated
from entrypoints.composition import Composition, compose
from entrypoints.http.app import CONTEXT_OF_SEGMENT, CONTEXTS, create_app, freeze_startup_heap
from entrypoints.logs import configure_logging

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class ContextApps:
    """One ASGI app over per-context apps built on first use (see the module docstring);
    every app answers its paths as the app of all the contexts would (a test compares)."""

    def __init__(self, composition: Composition, served: tuple[str, ...]) -> None:
        self._composition = composition
        self._served = served
        self._apps: dict[tuple[str, ...], ASGIApp] = {}

    def app_for(self, path: str) -> ASGIApp:
        segment = path.split("/", 2)[1] if path.startswith("/") else ""
        context = CONTEXT_OF_SEGMENT.get(segment)
        key = (context,) if context in self._served else self._served
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = create_app(self._composition, key, sockets=False)
            freeze_startup_heap()  # what this build made lives as long as the process
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app_for(scope.get("path", "/"))(scope, receive, send)


def http_handler(*contexts: str) -> LambdaHandler:
    """A handler serving the routes of ``contexts`` (every context when none is named). The
    app is composed on the first invocation, once per execution environment, building only
    those contexts; warm invocations reuse its clients."""
    served = contexts or CONTEXTS

    @functools.cache
    def mangum() -> Mangum:
        composition = compose()
        configure_logging(composition.settings.log_level)
        return Mangum(
            ContextApps(composition, served),
            # Lambda has no shutdown hook; start-up work happens on the first invocation.
            lifespan="off",
            # Error bodies are text too; without this Mangum would base64-encode them, and a
            # REST API without binary media types would hand clients the base64 string.
            text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
        )

    @correlated  # the first invocation's composition logs under the Lambda request id too
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer: dict[str, Any] = mangum()(event, context)
        return answer

    return handler
