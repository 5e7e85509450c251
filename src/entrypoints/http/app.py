"""The FastAPI application factory shared by the local server, the container and Lambda."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.shared.correlation import correlation_id, safe_correlation_id
from entrypoints.composition import Composition
from entrypoints.http.edge import EdgeRoute, HeadMiddleware
from entrypoints.http.errors import install_error_handlers, problem, problems
from entrypoints.http.models.shared import HealthBody, ReadinessBody
from entrypoints.http.openapi import install_openapi
from entrypoints.http.timers import every, stop
from entrypoints.logs import request_id

READINESS_TIMEOUT_SECONDS = 2.0
SWEEP_SECONDS = 5.0
#: How late a live question may close after its deadline (answers are refused on time).
LIVE_SWEEP_SECONDS = 0.2
#: Swagger UI's files, served by the app from a package (no CDN: /docs works offline).
DOCS_ASSETS = "/docs/assets"
DOCS_PACKAGE = ("fastapi_offline", "static")
if TYPE_CHECKING:
    from entrypoints.composition.trivia_profiles import ProfilesContext

log = logging.getLogger(__name__)


class RequestIdMiddleware:
    """Give every request a correlation id: the caller's ``X-Request-Id`` when it is safe, else
    the Lambda request id, else a new one; echo it in the response and in every log line
    (``correlationId``; ``requestId`` is the Lambda request id on Lambda, else the same)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id_of(scope)
        # Not reset afterwards: each request runs in its own task (uvicorn and Mangum both),
        # and the 500 handler, which runs outside this middleware, still needs it.
        correlation_id.set(rid)  # carried into the events and sagas this request starts
        if request_id.get() is None:  # on Lambda, the invocation's id is set already
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
        if name == b"x-request-id":
            safe = safe_correlation_id(value.decode("latin-1"))
            if safe is not None:
                return safe
    aws_request_id: object = getattr(scope.get("aws.context"), "aws_request_id", None)
    return aws_request_id if isinstance(aws_request_id, str) else uuid.uuid4().hex


#: The contexts whose routes an app can serve, in the order of the OpenAPI document.
CONTEXTS = ("stocks", "leaderboards", "orders", "races", "trivia")
#: The context of each first path segment of the contexts' routes (``/healthz``, ``/readyz``
#: and ``/docs`` belong to every app); a test holds this to the routers.
CONTEXT_OF_SEGMENT = {
    "stock": "stocks",
    "leaderboards": "leaderboards",
    "orders": "orders",
    "inventory": "orders",
    "races": "races",
    "classes": "races",
    **dict.fromkeys(
        ("quizzes", "games", "players", "wallet", "marketplace", ".well-known", "live",
         "live-games", "push", "avatar-uploads", "avatars"),
        "trivia",
    ),
}  # fmt: skip


def create_app(
    composition: Composition,
    contexts: Collection[str] = CONTEXTS,
    *,
    sockets: bool = True,
    dev_sign_in: bool = False,
) -> FastAPI:
    """The HTTP app serving the routes of ``contexts`` (every context by default), built on
    ``composition``, which builds (and imports) only those contexts. ``sockets``: the process
    holds its own WebSocket connections (the local server and the container, not Lambda,
    where API Gateway holds them and the lifespan does not run); it serves the browser app
    too, and with ``dev_sign_in`` (``portside serve``) its development sign-in. The app's
    lifespan runs the timers and closes the composition's clients."""
    unknown = set(contexts) - set(CONTEXTS)
    if unknown:
        raise ValueError(f"unknown contexts {sorted(unknown)}; known: {', '.join(CONTEXTS)}")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if "orders" in contexts:
            # Sagas a crash left half-done (idle for a minute, so not another replica's live
            # ones) are resumed before serving.
            await composition.orders.recover()
        timers = []
        if "races" in contexts:
            # races whose slot and grace have passed
            timers.append(
                asyncio.create_task(every(SWEEP_SECONDS, composition.races.sweep, "race"))
            )
        if "trivia" in contexts and sockets:
            live = composition.live
            # live questions at their deadline, games whose host's grace is over
            sweep = every(LIVE_SWEEP_SECONDS, live.sessions.sweep, "live game")
            timers.append(asyncio.create_task(sweep))
            timers += [asyncio.create_task(work()) for work in live.background]
        yield
        await stop(timers, composition.aclose())

    app = FastAPI(
        title="Portside",
        summary="Stock values in several currencies, leaderboards, orders, bike races and "
        "trivia, served the same way from Lambda, containers and a local server.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.router.route_class = EdgeRoute
    install_error_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(HeadMiddleware)

    @app.get("/healthz", tags=["health"], response_model=HealthBody)
    async def healthz() -> HealthBody:
        """Liveness: the process serves requests. Checks no dependency."""
        return HealthBody(status="ok")

    @app.get("/readyz", tags=["health"], response_model=ReadinessBody, responses=problems(503))
    async def readyz() -> JSONResponse:
        """Readiness: every required dependency answers; optional ones only degrade."""
        checks = composition.readiness
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

    for name in CONTEXTS:
        if name in contexts:
            _ROUTES[name](app, composition, sockets)
    if sockets:
        from entrypoints.http.web import install_web_app

        dev = composition.dev_identity if "trivia" in contexts else None
        install_web_app(app, dev, dev_sign_in=dev_sign_in)
    return app


# Each context's routers, imported only when its routes are served.


def _stocks(app: FastAPI, composition: Composition, _: bool) -> None:
    from entrypoints.http.stocks import stocks_router

    app.include_router(stocks_router(composition.stocks))


def _leaderboards(app: FastAPI, composition: Composition, _: bool) -> None:
    from entrypoints.http.leaderboards import leaderboards_router

    app.include_router(leaderboards_router(composition.leaderboards))


def _orders(app: FastAPI, composition: Composition, _: bool) -> None:
    from entrypoints.http.orders import orders_router

    app.include_router(orders_router(composition.orders))


def _races(app: FastAPI, composition: Composition, _: bool) -> None:
    from entrypoints.http.races import races_router

    app.include_router(races_router(composition.races, composition.race_stream))


def _trivia(app: FastAPI, composition: Composition, sockets: bool) -> None:
    from entrypoints.http.live import live_router
    from entrypoints.http.profiles import local_storage_router, profiles_router
    from entrypoints.http.trivia import identity_router, trivia_router

    tokens = composition.tokens
    profiles: Callable[[], ProfilesContext] = lambda: composition.profiles_context  # noqa: E731
    app.include_router(trivia_router(composition.trivia, composition.market, tokens, profiles))
    live = (lambda: composition.live) if sockets else (lambda: composition.live_on_gateway)
    app.include_router(live_router(live, composition.trivia, tokens, profiles, sockets=sockets))
    app.include_router(profiles_router(composition, tokens, sockets=sockets))
    if sockets and composition.profiles_context.local is not None:
        app.include_router(local_storage_router(composition))
    dev = composition.dev_identity
    if dev is not None:
        app.include_router(identity_router(lambda: dev().jwks()))


_ROUTES: dict[str, Callable[[FastAPI, Composition, bool], None]] = {
    "stocks": _stocks,
    "leaderboards": _leaderboards,
    "orders": _orders,
    "races": _races,
    "trivia": _trivia,
}


def install_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs``, its files from the ``fastapi-offline`` package (FastAPI's
    own page loads them from a CDN, so it shows nothing offline)."""
    app.mount(DOCS_ASSETS, StaticFiles(packages=[DOCS_PACKAGE]), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=redirect,
        )

    @app.get(redirect, include_in_schema=False)
    async def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def freeze_startup_heap() -> None:
    """Exclude every object alive now (modules, routes, models, clients, demo data: all kept
    for the life of the process) from garbage collection. A serving process calls this once
    its app is built: each later collection then walks only what requests allocate. Measured
    on ``POST /games/{id}/answers``: 11% fewer instructions a request (docs/benchmarks.md).
    No collection first: it would cost a Lambda cold start more than the garbage it frees."""
    gc.freeze()
