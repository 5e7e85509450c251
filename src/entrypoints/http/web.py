"""The browser app's routes: the static files at ``/app/`` (shipped in the package, no
CDN), its run-time configuration at ``/app/config.json``, and on ``portside serve`` alone
the development sign-in ``POST /auth/dev-token`` (never beside a real identity provider,
never in the container or on Lambda)."""

# No ``from __future__ import annotations``: FastAPI must see the models themselves.
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from pydantic import Field

from entrypoints.http.edge import EdgeRoute, body_limit
from entrypoints.http.errors import problems
from entrypoints.http.models.shared import RequestModel, ResponseModel


class TokenIssuer(Protocol):
    """The embedded development identity provider, as the sign-in uses it."""

    def issue(self, user: str, now: float | None = None, seconds: int = ...) -> str: ...


STATIC = Path(__file__).parent / "webapp"
#: Development tokens from the app's sign-in live as long as the CLI's.
DEV_TOKEN_SECONDS = 12 * 3600


class IdentityBody(ResponseModel):
    kind: Literal["development", "none"] = Field(
        description="How the app signs players in: the development sign-in of `portside "
        "serve`, or none here (the API's token verifier is a real provider's)."
    )


class AppConfigBody(ResponseModel):
    """What the app needs at run time (the same files serve any deployment)."""

    api_base: str = Field(description="The HTTP API's base URL.")
    ws_base: str = Field(description="The WebSocket base URL (`/ws/trivia`, `/ws/races`).")
    identity: IdentityBody


class DevTokenInput(RequestModel):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s/]([^/]*\S)?$")]


class DevTokenBody(ResponseModel):
    token: str
    expires_at: int = Field(description="Epoch seconds.")


def install_web_app(
    app: FastAPI, dev: Callable[[], TokenIssuer] | None, *, dev_sign_in: bool
) -> None:
    """The app's routes; ``dev_sign_in`` (``portside serve`` only) with ``dev`` (the
    embedded identity provider, None beside a real one) adds the development sign-in."""
    router = APIRouter(tags=["app"], route_class=EdgeRoute)
    signs_in = dev is not None and dev_sign_in

    @router.get("/app/config.json", response_model=AppConfigBody)
    async def config(request: Request) -> AppConfigBody:
        base = str(request.base_url).rstrip("/")
        ws = "ws" + base.removeprefix("http")
        identity = IdentityBody(kind="development" if signs_in else "none")
        return AppConfigBody(api_base=base, ws_base=ws, identity=identity)

    if signs_in:
        assert dev is not None

        @router.post(
            "/auth/dev-token",
            status_code=201,
            response_model=DevTokenBody,
            responses=problems(422),
            openapi_extra=body_limit(1024),
        )
        async def dev_token(request: DevTokenInput) -> DevTokenBody:
            """A development token for any username (``portside serve`` on the embedded
            default only: there is no password, so no deployment offers it)."""
            now = int(time.time())
            token = dev().issue(request.username, now, DEV_TOKEN_SECONDS)
            return DevTokenBody(token=token, expires_at=now + DEV_TOKEN_SECONDS)

    app.include_router(router)
    app.mount("/app", StaticFiles(directory=STATIC, html=True), name="app")
