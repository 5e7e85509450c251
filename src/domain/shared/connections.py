"""Live connections: the players' open WebSockets, wherever they are held (this process,
another server process, or API Gateway), which the live-notification port pushes frames to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Connection:
    """A player's open live connection: ``node`` names the server process holding it (None
    behind a gateway that pushes to any connection), ``game_id`` the trivia game it joined
    (its channel beside ``global`` and the player's own); ``greeted``: it has had the global
    chat's history (behind a gateway, with its first frame, since nothing can be pushed
    while it opens)."""

    connection_id: str
    player: str
    expires_at: int
    node: str | None = None
    game_id: str | None = None
    greeted: bool = True
