"""The FastAPI application factory shared by the local server, the container and Lambda."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.bootstrap import Services
from entrypoints.http.errors import install_error_handlers, problem
from entrypoints.http.leaderboards import leaderboards_router
from entrypoints.http.orders import orders_router
from entrypoints.http.races import races_router
from entrypoints.http.stocks import stocks_router
from entrypoints.http.trivia import trivia_router
from entrypoints.logs import request_id

_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
READINESS_TIMEOUT_SECONDS = 2.0
SWEEP_SECONDS = 5.0
log = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Give every request a correlation id: the caller's ``X-Request-Id`` when it is safe, else
    the Lambda request id, else a new one; echo it in the response and in every log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id_of(scope)
        # Not reset afterwards: each request runs in its own task (uvicorn and Mangum both),
        # and the 500 handler, which runs outside this middleware, still needs it.
        request_id.set(rid)
        raw = rid.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", raw)]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _request_id_of(scope: Scope) -> str:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"x-request-id" and _SAFE_REQUEST_ID.fullmatch(value):
            return value.decode()
    aws_request_id: object = getattr(scope.get("aws.context"), "aws_request_id", None)
    return aws_request_id if isinstance(aws_request_id, str) else uuid.uuid4().hex


async def _sweep_races(services: Services) -> None:
    """Finish races whose slot and grace have passed, every few seconds (the local timer
    standing in for the scheduled sweep_handler)."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await services.races.sweep()
        except Exception:  # a failed sweep is retried on the next tick
            log.exception("race sweep failed")


def create_app(services: Services) -> FastAPI:
    """Build the HTTP app on already-composed services; its lifespan closes their clients."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sagas a crash left half-done (idle for a minute, so not another replica's live
        # ones) are resumed before serving.
        await services.orders.recover()
        sweeper = asyncio.create_task(_sweep_races(services))
        yield
        sweeper.cancel()
        await services.aclose()

    app = FastAPI(
        title="Portside",
        summary="Stock values in several currencies and ranked leaderboards, served the same "
        "way from Lambda, containers and a local server.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests. Checks no dependency."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """Readiness: every required dependency answers; optional ones only degrade."""
        checks = services.readiness
        results = await asyncio.gather(
            *(asyncio.wait_for(c.probe(), READINESS_TIMEOUT_SECONDS) for c in checks),
            return_exceptions=True,
        )
        outcomes = list(zip(checks, results, strict=True))
        report: dict[str, Any] = {
            c.name: "failed" if isinstance(r, BaseException) else "ok" for c, r in outcomes
        }
        failed = [c.name for c, r in outcomes if isinstance(r, BaseException) and c.required]
        if failed:
            return problem(
                503,
                "not-ready",
                "Service not ready",
                f"Required dependencies are failing: {', '.join(failed)}.",
                headers={"Retry-After": "5"},
                checks=report,
            )
        return JSONResponse({"status": "ready", "checks": report})

    app.include_router(stocks_router(services.stocks))
    app.include_router(leaderboards_router(services.leaderboards))
    app.include_router(orders_router(services.orders))
    app.include_router(races_router(services.races, services.race_stream))
    dev = services.dev_identity
    jwks = None if dev is None else lambda: dev().jwks()
    app.include_router(trivia_router(services.trivia, services.market, services.tokens, jwks))
    return app
