"""What every Lambda handler module shares: one event loop and one composition per
execution environment, built on the first invocation (so importing a handler module, as the
container consumers do, builds nothing)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from domain.shared.correlation import correlation_id
from entrypoints.composition import Composition, compose
from entrypoints.logs import configure_logging, request_id

Run = Callable[[Awaitable[Any]], Any]
H = TypeVar("H")
Event = TypeVar("Event")
Answer = TypeVar("Answer")


def per_environment(build: Callable[[Composition, Run], H]) -> Callable[[], H]:
    """``build(composition, run)`` once, on first call; the same handlers on every later one.
    The composition builds only the contexts the handlers use."""

    @functools.cache
    def handlers() -> H:
        loop = asyncio.new_event_loop()
        composition = compose()
        configure_logging(composition.settings.log_level)
        return build(composition, loop.run_until_complete)

    return handlers


def correlated(handler: Callable[[Event, Any], Answer]) -> Callable[[Event, Any], Answer]:
    """``handler`` logging with the invocation's Lambda request id, which is also the
    correlation id of the work it starts (unless the work it takes carries one)."""

    @functools.wraps(handler)
    def invoke(event: Event, context: Any) -> Answer:
        rid = getattr(context, "aws_request_id", None)
        rid = rid if isinstance(rid, str) else None
        token, cid_token = request_id.set(rid), correlation_id.set(rid)
        try:
            return handler(event, context)
        finally:
            correlation_id.reset(cid_token)
            request_id.reset(token)

    return invoke
