"""The live-game protocol over connections: tickets, frames in, messages out, chat, the
clock's closes and the end of a game. Both transports call this: the local server's
``/ws/trivia`` endpoint (connections held by a server process, its ``node``) and the API
Gateway WebSocket handlers (connections held by the gateway).

A frame is decoded once (``domain.trivia.frames``); whatever is wrong with it, or with what
it asks, is answered with an ``error`` message on that connection alone and changes nothing.
A broadcast is encoded once and pushed to every connection of the channel; a connection the
push port reports gone is removed from the registry. The deadlines are kept by ``sweep``: a
timer in the local server and the container, a scheduled handler on Lambda (and every
action closes a question past its deadline first).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from domain.shared.connections import Connection
from domain.shared.errors import DomainError
from domain.trivia import frames
from domain.trivia.errors import (
    GameEndedError,
    LiveNotAllowedError,
    NotInGameError,
    QuestionClosedError,
    UnknownGameError,
)
from domain.trivia.frames import (
    AnswerCommand,
    ChatCommand,
    Command,
    GameCommand,
    HostCommand,
    InvalidFrameError,
    RateLimitedError,
)
from domain.trivia.hosting import LiveGameService
from domain.trivia.live import QUESTION_SECONDS, ChatMessage, LiveGame, LiveState
from domain.trivia.service import TriviaService
from ports.shared import Pusher
from ports.trivia import ChatLog, ConnectionRegistry

log = logging.getLogger(__name__)

TICKET_SECONDS = 30
#: A connection's registry entry lives as long as API Gateway keeps a connection open.
CONNECTION_SECONDS = 2 * 3600
GLOBAL = "global"
CHAT_TEXT = 500
CHAT_KEEP = 50
CHAT_RATE, CHAT_WINDOW_MS = 5, 10_000
#: Games read by one sweep, a page at a time.
SWEEP_PAGE = 100


def game_channel(game_id: str) -> str:
    return f"game:{game_id}"


class LiveSessions:
    """The live games' protocol (see the module docstring)."""

    def __init__(
        self,
        games: LiveGameService,
        trivia: TriviaService,
        connections: ConnectionRegistry,
        pusher: Pusher,
        chat: ChatLog,
        host_grace_seconds: int,
    ) -> None:
        self._games = games
        self._trivia = trivia
        self._connections = connections
        self._pusher = pusher
        self._chat = chat
        self._grace = host_grace_seconds

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[LiveGame], str | None]:
        """The games being played, oldest first."""
        return await self._games.listed(limit, cursor)

    # -- connections ----------------------------------------------------------------------

    async def ticket(self, player: str) -> tuple[str, int]:
        """A single-use ticket for ``player``'s next connection, and when it expires."""
        ticket = secrets.token_urlsafe(24)
        expires_at = self._games.now() + TICKET_SECONDS * 1000
        await self._connections.issue_ticket(ticket, player, expires_at)
        return ticket, expires_at

    async def connect(self, connection_id: str, ticket: str, node: str | None) -> str | None:
        """Register a connection by its ticket: the player, or None for a ticket that is
        unknown, used or expired (the transport then refuses the connection)."""
        now = self._games.now()
        player = await self._connections.redeem_ticket(ticket[:MAX_TICKET], now)
        if player is None:
            return None
        expires = now + CONNECTION_SECONDS * 1000
        # Behind a gateway nothing can be pushed while the connection opens: its greeting
        # goes with its first frame.
        connection = Connection(connection_id, player, expires, node, greeted=node is not None)
        await self._connections.add(connection)
        return player

    async def greet(self, connection_id: str) -> None:
        """The global channel's recent messages, to a new connection."""
        connection = await self._connections.get(connection_id, self._games.now())
        if connection is not None:
            await self._greet(connection)

    async def _greet(self, connection: Connection) -> None:
        history = await self._chat.history(GLOBAL)
        await self._send(connection, frames.chat_history(GLOBAL, history))

    async def disconnect(self, connection_id: str) -> None:
        """The connection is gone; the host leaving their game pauses it."""
        connection = await self._connections.remove(connection_id)
        if connection is None or connection.game_id is None:
            return
        game = await self._games_get(connection.game_id)
        if game is None or game.host != connection.player or game.state is LiveState.ENDED:
            return
        now = self._games.now()
        members = await self._connections.members(game_channel(game.game_id), now)
        if any(m.player == game.host for m in members):
            return  # the host is still there on another connection
        await self._games.host_left(game.game_id)
        await self._broadcast(game.game_id, {"type": "paused", "gameId": game.game_id})

    # -- frames ---------------------------------------------------------------------------

    async def receive(self, connection_id: str, frame: str | bytes) -> None:
        """Handle one client frame; errors go back to that connection only."""
        connection = await self._connections.get(connection_id, self._games.now())
        if connection is None:
            return  # gone (or expired) meanwhile: nobody to answer
        if not connection.greeted:
            connection = replace(connection, greeted=True)
            await self._connections.add(connection)
            await self._send(
                connection, frames.chat_history(GLOBAL, await self._chat.history(GLOBAL))
            )
        action: str | None = None
        try:
            command = frames.decode_frame(frame)
            action = command.action
            await self._dispatch(connection, command)
        except InvalidFrameError as exc:
            await self._send(connection, frames.error(exc, action or exc.action))
        except UnknownGameError as exc:
            game_id = getattr(command, "game_id", None) if action else None
            ended = game_id is not None and await self._trivia.live_game_over(game_id)
            reason = GameEndedError("The game has ended.") if ended else exc
            await self._send(connection, frames.error(reason, action))
        except DomainError as exc:
            await self._send(connection, frames.error(exc, action))

    async def _dispatch(self, connection: Connection, command: Command) -> None:
        match command:
            case HostCommand():
                await self._host(connection, command)
            case AnswerCommand():
                await self._answer(connection, command)
            case ChatCommand():
                await self._chat_message(connection, command)
            case GameCommand(action="join"):
                await self._join(connection, command.game_id)
            case GameCommand():
                await self._host_action(connection, command)

    async def _one_game(self, connection: Connection, game_id: str | None) -> None:
        """A connection plays one running game at a time (its frames follow that game):
        another while it runs is refused; a finished one is left behind."""
        current = connection.game_id
        if current is None or current == game_id:
            return
        game = await self._games_get(current)
        if game is not None and game.state is not LiveState.ENDED:
            raise LiveNotAllowedError(
                f"This connection is in the running game {current!r}: open another one."
            )

    async def _host(self, connection: Connection, command: HostCommand) -> None:
        await self._one_game(connection, None)
        seconds = command.question_seconds or QUESTION_SECONDS
        game = await self._games.host(connection.player, command.quiz_id, seconds)
        await self._connections.enter(connection.connection_id, game.game_id, self._games.now())
        await self._send(connection, frames.hosted(game))

    async def _join(self, connection: Connection, game_id: str) -> None:
        if connection.game_id not in (None, game_id):
            await self._games.game(game_id)  # an unknown game says so first
            await self._one_game(connection, game_id)
        game, resumed = await self._games.join(connection.player, game_id)
        entered = await self._connections.enter(
            connection.connection_id, game_id, self._games.now()
        )
        if entered is None:
            return  # the connection went away meanwhile
        await self._send(entered, frames.joined(game))
        history = await self._chat.history(game_channel(game_id))
        await self._send(entered, frames.chat_history(game_channel(game_id), history))
        if resumed:
            await self._broadcast(game_id, {"type": "resumed", "gameId": game_id})
        elif connection.player != game.host:
            joined = {"type": "playerJoined", "gameId": game_id, "player": connection.player}
            await self._broadcast(game_id, joined, only=game.host)

    async def _host_action(self, connection: Connection, command: GameCommand) -> None:
        by, game_id = connection.player, command.game_id
        await self._announce_expiry(game_id)
        if command.action == "start":
            await self._games.start(by, game_id)
            await self._broadcast(game_id, {"type": "started", "gameId": game_id})
        elif command.action == "ask":
            questions, closes_at = await self._games.ask(by, game_id)
            await self._broadcast(game_id, frames.question(game_id, questions, closes_at))
        elif command.action == "close":
            reveals = await self._games.close(by, game_id)
            await self._broadcast(game_id, frames.closed(game_id, reveals))
        elif command.action == "scoreboard":
            standings = await self._games.scoreboard(by, game_id)
            await self._broadcast(game_id, frames.scoreboard(game_id, standings))
        else:
            await self._games.end(by, game_id)
            await self._finish(game_id)

    async def _answer(self, connection: Connection, command: AnswerCommand) -> None:
        game_id = command.game_id
        try:
            outcome = await self._games.answer(
                connection.player, game_id, command.number, command.answer
            )
        except QuestionClosedError:
            await self._announce_expiry(game_id)  # refused late: the clock may be behind
            raise
        received = {"type": "answerReceived", "gameId": game_id, "questionNumber": command.number}
        await self._send(connection, received)
        if outcome.first_correct:
            first = {
                "type": "firstCorrect",
                "gameId": game_id,
                "questionNumber": command.number,
                "player": connection.player,
            }
            await self._broadcast(game_id, first)
            await self._broadcast(game_id, frames.closed(game_id, outcome.reveals))
            game = await self._games.game(game_id)
            await self._broadcast(game_id, frames.scoreboard(game_id, game.standings()))

    async def _chat_message(self, connection: Connection, command: ChatCommand) -> None:
        channel, text = command.channel, command.text.strip()
        if not 1 <= len(text) <= CHAT_TEXT:
            raise InvalidFrameError(f"text: 1 to {CHAT_TEXT} characters after trimming")
        if channel not in (GLOBAL, game_channel(connection.game_id or "")):
            raise NotInGameError(f"Join the game to chat in {channel[:40]!r}.")
        now = self._games.now()
        if not await self._chat.allow(connection.player, now, CHAT_RATE, CHAT_WINDOW_MS):
            raise RateLimitedError(f"At most {CHAT_RATE} messages in {CHAT_WINDOW_MS // 1000} s.")
        message = ChatMessage(channel, connection.player, text, now)
        await self._chat.append(message, CHAT_KEEP)
        await self._push_all(await self._connections.members(channel, now), frames.chat(message))

    # -- the clock ------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Close every question past its deadline, end the games whose host's grace is
        over, and finish ended games an interrupted end left behind."""
        cursor: str | None = None
        while True:
            games, cursor = await self._games.listed(SWEEP_PAGE, cursor)
            for game in games:
                try:
                    await self._tick(game)
                except DomainError as exc:  # one game's trouble never stops the others'
                    log.warning("live game %s not swept: %s", game.game_id, exc.detail)
            if cursor is None:
                return

    async def _tick(self, game: LiveGame) -> None:
        if game.state is LiveState.ENDED:
            await self._finish(game.game_id)
        elif game.grace_over(self._games.now(), self._grace):
            with contextlib.suppress(GameEndedError):  # another process ended it first
                await self._games.end(None, game.game_id)
            await self._finish(game.game_id)
        elif game.state is LiveState.QUESTION:
            await self._announce_expiry(game.game_id)

    async def _announce_expiry(self, game_id: str) -> None:
        reveals = await self._games.expire(game_id)
        if reveals:
            await self._broadcast(game_id, frames.closed(game_id, reveals))

    async def _finish(self, game_id: str) -> None:
        """An ended game: recorded (idempotent), announced, and forgotten."""
        game = await self._games.game(game_id)
        standings = game.standings()
        top = standings[0].score if standings else 0
        winners = [s.player for s in standings if s.score == top and top > 0]
        await self._trivia.record_live_game(game, standings, winners)
        await self._broadcast(game_id, frames.final(game_id, standings, winners))
        await self._chat.forget(game_channel(game_id))
        await self._games.forget(game_id)

    # -- sending --------------------------------------------------------------------------

    async def _games_get(self, game_id: str) -> LiveGame | None:
        try:
            return await self._games.game(game_id)
        except UnknownGameError:
            return None

    async def _broadcast(
        self, game_id: str, message: Mapping[str, Any], only: str | None = None
    ) -> None:
        members = await self._connections.members(game_channel(game_id), self._games.now())
        if only is not None:
            members = [m for m in members if m.player == only]
        await self._push_all(members, message)

    async def _push_all(self, members: list[Connection], message: Mapping[str, Any]) -> None:
        # Encoded once, whatever the number of players.
        for gone in await self._pusher.push(members, frames.encode(message)):
            await self._connections.remove(gone.connection_id)

    async def _send(self, connection: Connection, message: Mapping[str, Any]) -> None:
        await self._push_all([connection], message)


#: Longer is no ticket of ours (``token_urlsafe(24)`` is 32 characters).
MAX_TICKET = 64
