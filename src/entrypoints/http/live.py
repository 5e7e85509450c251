"""The live games' routes: tickets, the running games, a finished game's results, and the
``/ws/trivia`` WebSocket endpoint, which speaks the protocol of ``domain.trivia.sessions``.

A browser cannot set headers on a WebSocket, and URLs are logged, so a connection carries a
single-use ticket (``POST /live/tickets``, 30 s) instead of the bearer token: an invalid one
is accepted and closed at once with 4401 (a browser cannot see a refused handshake's
status), and uvicorn's log lines never show the query string (``entrypoints.logs``). Each
connection's frames go out through a bounded queue of its own, so a player who stops
reading is dropped without delaying anyone else.
"""

# No ``from __future__ import annotations``: FastAPI must see the route-local ``Player``
# dependency type itself, not its name.
import asyncio
import contextlib
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, WebSocket

from domain.trivia.errors import TriviaStoreUnavailableError
from domain.trivia.service import TriviaService
from entrypoints.http.edge import EdgeRoute
from entrypoints.http.errors import problems
from entrypoints.http.models.live import (
    GAME_ID,
    GameCursor,
    LiveGameBody,
    LiveGamesBody,
    TicketBody,
)
from entrypoints.http.models.profiles import PlayersPageBody
from entrypoints.http.trivia import player_dependency, players_page
from entrypoints.settings import ConfigurationError
from ports.trivia import TokenVerifier

if TYPE_CHECKING:  # the live context is built on first use: its modules too, on Lambda
    from domain.trivia.sessions import LiveSessions
    from entrypoints.composition.trivia import LiveContext
    from entrypoints.composition.trivia_profiles import ProfilesContext

#: Frames waiting for one slow player; beyond it, the player is disconnected.
OUTBOX_FRAMES = 256
#: 4401: the ticket is invalid, used or expired (4000-4999 are the application's codes).
CLOSE_INVALID_TICKET = 4401
#: 1008: the server dropped a connection that stopped reading its frames.
CLOSE_TOO_SLOW = 1008
LIVE_GAMES_PAGE = 50

GameId = Annotated[str, Path(pattern=f"^{GAME_ID}$")]


def live_router(
    live: Callable[[], "LiveContext"],
    trivia: TriviaService,
    tokens: TokenVerifier,
    profiles: Callable[[], "ProfilesContext"],
    *,
    sockets: bool,
) -> APIRouter:
    """The live games' HTTP routes, and with ``sockets`` (this process holds its players'
    connections) the WebSocket endpoint. Without, the live context is built on first use,
    and a deployment without shared live state answers 503, not the error of a build."""
    router = APIRouter(tags=["live games"], route_class=EdgeRoute, responses=problems(401, 503))
    Player = Annotated[str, Depends(player_dependency(tokens))]

    def sessions_of() -> "LiveSessions":
        try:
            return live().sessions
        except ConfigurationError as exc:
            raise TriviaStoreUnavailableError(f"Live games are not configured: {exc}") from exc

    @router.post("/live/tickets", status_code=201, response_model=TicketBody)
    async def ticket(me: Player) -> TicketBody:
        """A single-use ticket for one connection to ``/ws/trivia?ticket=``, valid 30 s."""
        value, expires_at = await sessions_of().ticket(me)
        return TicketBody(ticket=value, expires_at=expires_at)

    @router.get("/live-games", response_model=LiveGamesBody)
    async def live_games(
        _: Player, cursor: Annotated[GameCursor | None, Query()] = None
    ) -> LiveGamesBody:
        """Games being played now, oldest first, 50 a page."""
        games, following = await sessions_of().listed(LIVE_GAMES_PAGE, cursor)
        return LiveGamesBody(games=[LiveGameBody.of(g) for g in games], cursor=following)

    @router.get(
        "/live-games/{game_id}/results",
        response_model=PlayersPageBody,
        responses=problems(403, 404),
    )
    async def results(request: Request, game_id: GameId, me: Player) -> PlayersPageBody:
        """A finished game's final board (members are usernames), for its players only."""
        return await players_page(request, profiles(), await trivia.live_results(game_id, me))

    if sockets:
        _socket_route(router, live())
    return router


def _socket_route(router: APIRouter, live: "LiveContext") -> None:
    sessions, local = live.sessions, live.local
    assert local is not None

    @router.websocket("/ws/trivia")
    async def trivia_socket(
        websocket: WebSocket, ticket: Annotated[str, Query(max_length=128)] = ""
    ) -> None:
        """The live games' protocol (``docs/trivia-live.md``)."""
        await websocket.accept()
        connection_id = secrets.token_urlsafe(12)
        if await sessions.connect(connection_id, ticket, live.node) is None:
            await websocket.close(code=CLOSE_INVALID_TICKET, reason="invalid ticket")
            return
        outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_FRAMES)
        writer = asyncio.create_task(_write(websocket, outbox))

        def sink(frame: str) -> bool:
            if writer.done():
                return False
            try:
                outbox.put_nowait(frame)
            except asyncio.QueueFull:
                writer.cancel()  # too slow: dropped (the registry forgets it) and closed
                closing.add(asyncio.create_task(_close(websocket, CLOSE_TOO_SLOW)))
                return False
            return True

        closing: set[asyncio.Task[None]] = set()
        local.register(connection_id, sink)
        try:
            await sessions.greet(connection_id)
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("text") or message.get("bytes") or ""
                await sessions.receive(connection_id, frame)
        finally:
            local.unregister(connection_id)
            writer.cancel()
            await sessions.disconnect(connection_id)


async def _write(websocket: WebSocket, outbox: "asyncio.Queue[str]") -> None:
    while True:
        await websocket.send_text(await outbox.get())


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):  # closed by the client meanwhile
        await websocket.close(code=code)
