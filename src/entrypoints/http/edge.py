"""The HTTP edge: what a request may carry before any route or use case sees it.

- A route with a body model takes ``application/json`` (415 otherwise), at most the bytes
  its ``openapi_extra`` declares under ``x-max-body-bytes`` (``body_limit``; 413 from the
  declared length, or as soon as the arriving body passes it, so nothing larger is held),
  decoded once by the one bounded decoder (``domain.shared.decoding``: depth, number,
  Unicode and duplicate-key limits; 422 naming ``body``) before FastAPI validates it against
  the route's strict pydantic model (422 naming each field).
- A route that declares its body in ``openapi_extra`` (``requestBody``) instead of a model
  gets the same media type and size checks, and decodes the body itself (a batch whose
  items are decoded one by one: ``decode_items``).
- Any other route takes no body (415 when one is sent, announced by a header or, under
  Mangum, which announces none, found in the request).
- A body must arrive whole within ``BODY_SECONDS`` (408), so a slow sender holds nothing
  for long; a route that needs a bearer token reads no body of a request that carries no
  token at all: its 401 comes first.
- ``HEAD`` is answered wherever ``GET`` is, without the body; a 405 names in ``Allow`` every
  method the path has (Starlette's names only the first route's).

FastAPI's own JSON parsing (``json.loads``: floats, no limits, duplicate keys kept silently)
is never reached: the route hands FastAPI a request whose body is already decoded. Nor is its
``max_body_size``: Starlette's limiter answers a declared length over the limit with its own
plain-text 413, not the problem document every other error is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.shared.decoding import JsonLimits, JsonValue, TooLargeError, decode_json

JSON = "application/json"
JSON_ONLY = "The request body must be JSON (Content-Type: application/json)."
LIMIT_KEY = "x-max-body-bytes"
#: A body must have arrived whole within this many seconds (a 2 MiB one at 70 KB/s).
BODY_SECONDS = 30
_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DecodedRequest(Request):
    """A request whose body the edge has read and decoded (FastAPI reads both from here)."""

    def __init__(self, request: Request, body: bytes, value: JsonValue) -> None:
        super().__init__(request.scope, request.receive)
        self._edge_body = body
        self._edge_value = value

    async def body(self) -> bytes:
        return self._edge_body

    async def json(self) -> JsonValue:
        return self._edge_value


def declares_body(scope: Scope) -> bool:
    """Whether the request has a body (RFC 9112: a Content-Length other than 0, or a
    Transfer-Encoding), known from its headers without reading it."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            length = value.strip()
            return not length.isdigit() or int(length) > 0
        if name == b"transfer-encoding":
            return True
    return False


async def carries_body(request: Request) -> bool:
    """Whether a request the headers say has no body has one all the same: Mangum hands a
    Lambda event's body on without a Content-Length (uvicorn never does)."""
    if "aws.event" not in request.scope:
        return False
    return any([chunk async for chunk in request.stream()])


def is_json(content_type: str | None) -> bool:
    """``application/json``, with no charset or UTF-8 (the only one JSON allows)."""
    if content_type is None:
        return False
    media, *params = (part.strip().lower() for part in content_type.split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in params if p.startswith("charset")), "")
    return media == JSON and charset in ("", "utf-8")


def body_limit(max_bytes: int) -> dict[str, Any]:
    """The ``openapi_extra`` of a route with a body: its limit, enforced and documented."""
    return {LIMIT_KEY: max_bytes}


def unsupported(detail: str) -> HTTPException:
    return HTTPException(415, detail)


def too_large(limit: int) -> TooLargeError:
    return TooLargeError(f"larger than this operation's {limit:,} bytes")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is known to pass ``limit`` bytes, and (408) when
    it has not arrived whole within ``BODY_SECONDS``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise too_large(limit)
    except TimeoutError:
        raise HTTPException(408, f"The body did not arrive within {BODY_SECONDS} s.") from None
    except ClientDisconnect:  # nobody is left to answer: not an error of ours
        raise HTTPException(400, "The client went away before its body arrived.") from None
    return bytes(body)


def secured(dependant: Dependant) -> bool:
    """Whether the route's dependencies include a security scheme (a bearer token)."""
    return isinstance(dependant.call, SecurityBase) or any(
        secured(d) for d in dependant.dependencies
    )


class EdgeRoute(APIRoute):
    """An APIRoute that applies the edge's rules (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        extra = self.openapi_extra or {}
        if self.body_field is None and "requestBody" not in extra:

            async def without_body(request: Request) -> Response:
                if declares_body(request.scope) or await carries_body(request):
                    raise unsupported("This operation takes no request body.")
                return await handler(request)

            return without_body
        limit = extra.get(LIMIT_KEY)
        if not isinstance(limit, int):
            raise TypeError(f"{self.path}: a route with a body declares body_limit(...)")
        limits = JsonLimits(limit)
        decode = self.body_field is not None  # else the route decodes its body itself
        needs_token = secured(self.dependant)

        async def with_body(request: Request) -> Response:
            if needs_token and "authorization" not in request.headers:
                # No credentials at all: the 401 comes first, and no body of a stranger's
                # is read.
                return await handler(DecodedRequest(request, b"", None))
            json_type = is_json(request.headers.get("content-type"))
            if declares_body(request.scope) and not json_type:
                raise unsupported(JSON_ONLY)
            body = await read_body(request, limit)
            if body and not json_type:  # a body no header announced (Mangum)
                raise unsupported(JSON_ONLY)
            value = decode_json(body, limits) if body and decode else None
            return await handler(DecodedRequest(request, body, value))

        return with_body


class HeadMiddleware:
    """Serve ``HEAD`` as ``GET`` without the body (RFC 9110: the same headers, no content)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def allowed_methods(request: Request) -> str:
    """Every method some route takes at the request's path (HEAD wherever GET is), found
    by asking each route whether it would take the request with that method."""
    methods: set[str] = set()
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            methods.add(method)
    if not methods:  # not a route's path: a static file's, which are read only
        methods.add("GET")
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))
