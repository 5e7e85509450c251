"""HTTP routes of the leaderboards context (reads only: owning domains write)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from domain.leaderboards.model import ANONYMOUS, BOARD_KEY, MEMBER_KEY
from domain.leaderboards.service import LeaderboardService
from entrypoints.http.edge import EdgeRoute
from entrypoints.http.errors import problems
from entrypoints.http.models.shared import Limit, Offset, PageBody, page_fields


def leaderboards_router(service: LeaderboardService) -> APIRouter:
    router = APIRouter(tags=["leaderboards"], route_class=EdgeRoute)

    @router.get("/leaderboards/{board}", response_model=PageBody, responses=problems(401, 404, 503))
    async def get_leaderboard(
        board: Annotated[str, Path(pattern=f"^{BOARD_KEY.pattern}$", examples=["class-3"])],
        limit: Limit = 10,
        offset: Offset = 0,
        member: Annotated[
            str | None,
            Query(
                pattern=f"^{MEMBER_KEY.pattern}$", description="Also return this member's entry."
            ),
        ] = None,
    ) -> PageBody:
        """A page of a public board, ranked ("1224" for ties), plus ``member``'s own entry.
        A board only signed-in readers or a group's members may read (a trivia quiz's, a live
        game's) is read through its owner's authenticated API: 401 here."""
        page = await service.read_page(board, ANONYMOUS, limit, offset, member)
        return PageBody(**page_fields(page))

    return router
