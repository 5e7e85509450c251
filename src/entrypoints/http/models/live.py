"""Wire models of the live games' HTTP routes (the WebSocket frames are the protocol's own,
in ``domain.trivia.frames``)."""

from typing import Annotated, Literal

from pydantic import Field

from domain.trivia.live import LiveGame
from entrypoints.http.models.shared import ResponseModel

#: A game id as the server makes them (``token_urlsafe(16)``), or a cursor, which is one.
GAME_ID = r"[A-Za-z0-9_-]{1,64}"
GameCursor = Annotated[
    str, Field(pattern=f"^{GAME_ID}$", description="The previous page's `cursor`.")
]


class TicketBody(ResponseModel):
    """Connect with ``/ws/trivia?ticket=<ticket>`` before ``expiresAt``; it works once."""

    ticket: str
    expires_at: int = Field(description="Epoch milliseconds.")


class LiveGameBody(ResponseModel):
    game_id: str
    quiz_id: str
    name: str
    mode: Literal["casual", "competitive", "live"]
    host: str
    players: int = Field(description="How many players have joined.")
    state: Literal["lobby", "question", "closed", "scoreboard", "ended"]
    paused: bool = Field(description="The host is away: the game waits for them.")

    @classmethod
    def of(cls, game: LiveGame) -> "LiveGameBody":
        return cls(
            game_id=game.game_id,
            quiz_id=game.quiz_id,
            name=game.content.name,
            mode=game.mode.value,  # type: ignore[arg-type]
            host=game.host,
            players=len(game.players),
            state=game.state.value,
            paused=game.paused_at is not None,
        )


class LiveGamesBody(ResponseModel):
    games: list[LiveGameBody]
    cursor: str | None = Field(description="The next page's cursor; null on the last page.")
