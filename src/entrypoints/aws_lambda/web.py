"""Lambda handlers for HTTP routes (API Gateway REST v1, HTTP API v2, function URLs) through
Mangum: ``http.handler`` serves every route, ``http_<context>.handler`` one context's."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from entrypoints.aws_lambda.environment import correlated
from entrypoints.composition import compose
from entrypoints.http.app import CONTEXTS, create_app, freeze_startup_heap
from entrypoints.logs import configure_logging

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_handler(*contexts: str) -> LambdaHandler:
    """A handler serving the routes of ``contexts`` (every context when none is named). The
    app is composed on the first invocation, once per execution environment, building only
    those contexts; warm invocations reuse its clients."""
    served = contexts or CONTEXTS

    @functools.cache
    def mangum() -> Mangum:
        composition = compose()
        configure_logging(composition.settings.log_level)
        app = create_app(composition, served)
        freeze_startup_heap()
        return Mangum(
            app,
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
