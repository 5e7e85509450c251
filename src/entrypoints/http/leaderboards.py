"""HTTP routes of the leaderboards context (reads only: owning domains write)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from domain.leaderboards.model import MAX_LIMIT, Page, RankedEntry
from domain.leaderboards.service import LeaderboardService
from entrypoints.http.errors import PROBLEM_RESPONSES


class EntryBody(BaseModel):
    rank: int
    member: str
    score: str
    achievedAt: str
    display: dict[str, str]


class PageBody(BaseModel):
    board: str
    entries: list[EntryBody]
    me: EntryBody | None
    total: int


def entry_json(ranked: RankedEntry) -> dict[str, Any]:
    entry = ranked.entry
    return {
        "rank": ranked.rank,
        "member": entry.member,
        "score": format(entry.score, "f"),
        "achievedAt": entry.achieved_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "display": dict(entry.display),
    }


def page_json(
    page: Page, entry: Callable[[RankedEntry], dict[str, Any]] = entry_json
) -> dict[str, Any]:
    """The leaderboard shape every board route answers with; ``entry`` may add fields."""
    return {
        "board": page.board,
        "entries": [entry(e) for e in page.entries],
        "me": entry(page.me) if page.me is not None else None,
        "total": page.total,
    }


def leaderboards_router(service: LeaderboardService) -> APIRouter:
    router = APIRouter(tags=["leaderboards"])

    @router.get(
        "/leaderboards/{board}",
        response_model=PageBody,
        responses={
            401: PROBLEM_RESPONSES[401],
            404: PROBLEM_RESPONSES[404],
            422: PROBLEM_RESPONSES[422],
        },
    )
    async def get_leaderboard(
        board: str,
        limit: Annotated[int, Query(description=f"1 to {MAX_LIMIT}")] = 10,
        offset: Annotated[int, Query(description="entries to skip, 0 or more")] = 0,
        member: Annotated[str | None, Query(description="also return this member's entry")] = None,
    ) -> JSONResponse:
        """A page of a board, ranked ("1224" for ties), plus ``member``'s own entry."""
        if board.startswith("trivia-"):
            # Trivia boards are read through the authenticated trivia routes; this route has
            # no identity to check, so it refuses them.
            raise HTTPException(
                401,
                "Trivia leaderboards are read through the trivia API with a valid token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return JSONResponse(page_json(await service.page(board, limit, offset, member)))

    return router
