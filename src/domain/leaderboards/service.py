"""Use cases: create boards, submit scores, read rankings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain.leaderboards.errors import (
    BoardExistsError,
    BoardMembersOnlyError,
    BoardNotFoundError,
    BoardSignInRequiredError,
    MemberNotFoundError,
)
from domain.leaderboards.model import (
    PUBLIC,
    Board,
    Entry,
    Page,
    Policy,
    RankedEntry,
    Reader,
    SubmitResult,
    Visibility,
    check_around,
    check_board_key,
    check_display,
    check_member,
    check_moment,
    check_page,
    check_score,
)
from ports.leaderboards import LeaderboardStore
from ports.shared import Clock


@dataclass(frozen=True, slots=True)
class Submission:
    """A score for a member; ``achieved_at`` defaults to now."""

    member: str
    score: Decimal | int | str
    display: Mapping[str, str] = field(default_factory=dict)
    achieved_at: datetime | None = None


class LeaderboardService:
    """Ranked boards for the owning domains (race results, trivia scores)."""

    def __init__(self, store: LeaderboardStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def create_board(
        self,
        key: str,
        policy: Policy,
        expires_at: datetime | None = None,
        visibility: Visibility = PUBLIC,
    ) -> Board:
        """Create the board, or return it when it exists with the same settings.

        Raises BoardExistsError when the key is taken by a board with other settings (an
        expired board's key stays taken until its store removes it).
        """
        if expires_at is not None:
            expires_at = check_moment(expires_at)
        board = Board(check_board_key(key), Policy(policy), expires_at, visibility)
        stored = await self._store.create_board(board)
        if stored != board:
            raise BoardExistsError(key)
        return stored

    async def board(self, key: str) -> Board:
        """The live board; BoardNotFoundError when unknown or expired."""
        board = await self._store.get_board(check_board_key(key))
        if board is None or board.expired(self._clock.now()):
            raise BoardNotFoundError(key)
        return board

    async def submit(self, key: str, submission: Submission) -> SubmitResult:
        (result,) = await self.submit_many(key, [submission])
        return result

    async def submit_many(self, key: str, submissions: Sequence[Submission]) -> list[SubmitResult]:
        """Submit in order (one batch, e.g. a race's results); each reports if it changed."""
        now = self._clock.now()
        entries = [
            Entry(
                check_member(s.member),
                check_score(s.score),
                check_moment(s.achieved_at or now),
                check_display(s.display),
            )
            for s in submissions
        ]
        board = await self.board(key)
        return await self._store.submit(board, entries) if entries else []

    async def top(self, key: str, limit: int = 10, offset: int = 0) -> list[RankedEntry]:
        return (await self.page(key, limit, offset)).entries

    async def page(
        self,
        key: str,
        limit: int = 10,
        offset: int = 0,
        member: str | None = None,
        reader: Reader | None = None,
    ) -> Page:
        """One call for "top N plus me": a page of the board, the member's entry, the total.
        ``reader`` None is the owning domain reading its own board; any other reader reads
        under the board's visibility (``read_page``)."""
        check_page(limit, offset)
        if member is not None:
            check_member(member)
        board = await self.board(key)
        if reader is not None and not board.visibility.admits(reader):
            if reader.user is None:
                raise BoardSignInRequiredError(key)
            raise BoardMembersOnlyError(key)
        return await self._store.page(board, limit, offset, member)

    async def read_page(
        self,
        key: str,
        reader: Reader,
        limit: int = 10,
        offset: int = 0,
        member: str | None = None,
    ) -> Page:
        """``page`` for a reader from outside the owning domain, under the board's visibility:
        BoardSignInRequiredError for nobody signed in, BoardMembersOnlyError for a signed-in
        reader outside the board's group."""
        return await self.page(key, limit, offset, member, reader)

    async def rank_of(self, key: str, member: str) -> RankedEntry | None:
        check_member(member)
        return await self._store.rank_of(await self.board(key), member)

    async def around(self, key: str, member: str, k: int = 5) -> list[RankedEntry]:
        check_member(member)
        check_around(k)
        found = await self._store.around(await self.board(key), member, k)
        if found is None:
            raise MemberNotFoundError(key, member)
        return found

    async def count(self, key: str) -> int:
        return await self._store.count(await self.board(key))

    async def remove(self, key: str, member: str) -> bool:
        check_member(member)
        return await self._store.remove(await self.board(key), member)
