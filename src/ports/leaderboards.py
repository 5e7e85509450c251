"""Ports of the leaderboards context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.leaderboards.model import Board, Entry, Page, RankedEntry, SubmitResult


class LeaderboardStore(Protocol):
    """Where boards and their entries live, ranked by descending score.

    Ties rank by competition ranking ("1224"), the earlier achievement listed first. Every
    method raises LeaderboardStoreUnavailableError when the store cannot answer, and the
    methods taking a board raise BoardNotFoundError when it is not (or no longer) stored.
    """

    async def create_board(self, board: Board) -> Board:
        """Store the board unless one with its key exists; return the stored board."""
        ...

    async def get_board(self, key: str) -> Board | None: ...

    async def submit(self, board: Board, entries: Sequence[Entry]) -> list[SubmitResult]:
        """Apply each entry in order under the board's policy, atomically per entry."""
        ...

    async def page(self, board: Board, limit: int, offset: int, member: str | None) -> Page:
        """Entries at positions offset+1 .. offset+limit, ``member``'s own, and the total."""
        ...

    async def rank_of(self, board: Board, member: str) -> RankedEntry | None: ...

    async def around(self, board: Board, member: str, k: int) -> list[RankedEntry] | None:
        """Up to k entries either side of the member's, and theirs; None if not on the board."""
        ...

    async def count(self, board: Board) -> int: ...

    async def remove(self, board: Board, member: str) -> bool:
        """Take the member off the board; False when it was not on it."""
        ...
