"""HTTP routes of the races context: the device-message path (IoT on AWS) and the reads."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from domain.leaderboards.model import MAX_LIMIT, Page
from domain.races.model import LiveRace, to_cents
from domain.races.service import RaceService
from domain.shared.errors import FieldError, InvalidInputError
from entrypoints.http.errors import PROBLEM_RESPONSES
from entrypoints.http.leaderboards import entry_json

MAX_BATCH = 10_000
Limit = Annotated[int, Query(description=f"1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(description="entries to skip")]


def live_json(race: LiveRace) -> dict[str, Any]:
    return {
        "classId": race.class_id,
        "raceId": race.race_id,
        "second": race.second,
        "racers": [
            {
                "rank": rank,
                "racerId": racer.racer_id,
                "name": racer.name,
                "total": format(to_cents(racer.total), "f"),
                "output": format(to_cents(racer.output), "f"),
            }
            for rank, racer in race.standings()
        ],
    }


def page_json(page: Page) -> dict[str, Any]:
    def entry(ranked: Any) -> dict[str, Any]:
        return {**entry_json(ranked), "name": ranked.entry.display.get("name")}

    return {
        "board": page.board,
        "entries": [entry(e) for e in page.entries],
        "me": entry(page.me) if page.me else None,
        "total": page.total,
    }


def races_router(service: RaceService) -> APIRouter:
    router = APIRouter(tags=["races"])

    @router.post("/races/events", status_code=202, responses={422: PROBLEM_RESPONSES[422]})
    async def post_events(request: Request) -> JSONResponse:
        """A batch of device messages (a JSON array, or ``{"messages": [...]}``); processed
        before the answer on the embedded default. Rejected messages are named by index."""
        try:
            body = json.loads(await request.body(), parse_float=Decimal, parse_int=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInputError(
                "The body is not JSON.", (FieldError("body", "not JSON"),)
            ) from exc
        messages = body.get("messages") if isinstance(body, dict) else body
        if not isinstance(messages, list) or len(messages) > MAX_BATCH:
            problem = f"must be a list of at most {MAX_BATCH} messages"
            raise InvalidInputError(f"body: {problem}", (FieldError("body", problem),))
        report = await service.ingest(messages)
        return JSONResponse(
            {
                "accepted": report.accepted,
                "rejected": report.rejected,
                "errors": [{"index": i, "reason": r} for i, r in report.errors],
            },
            202,
        )

    @router.get("/races/{class_id}/{race_id}/live", responses={404: PROBLEM_RESPONSES[404]})
    async def live(class_id: int, race_id: int) -> JSONResponse:
        """The live board: racers by running total, with their latest output."""
        return JSONResponse(live_json(await service.live(class_id, race_id)))

    @router.get("/races/{class_id}/{race_id}/results", responses={404: PROBLEM_RESPONSES[404]})
    async def results(
        class_id: int, race_id: int, limit: Limit = 10, offset: Offset = 0
    ) -> JSONResponse:
        """Final results of finished racers (corrected upward if late seconds arrive)."""
        return JSONResponse(page_json(await service.results(class_id, race_id, limit, offset)))

    @router.get("/classes/{class_id}/leaderboard", responses={404: PROBLEM_RESPONSES[404]})
    async def class_leaderboard(
        class_id: int, limit: Limit = 10, offset: Offset = 0
    ) -> JSONResponse:
        """Each racer's best race total in the class."""
        return JSONResponse(page_json(await service.class_leaderboard(class_id, limit, offset)))

    @router.get("/classes/{class_id}/history", responses={404: PROBLEM_RESPONSES[404]})
    async def history(class_id: int) -> JSONResponse:
        """All-time best output per racer per second of the race."""
        found = await service.history(class_id)
        return JSONResponse(
            {
                "classId": found.class_id,
                "updatedAt": found.updated_at,
                "racers": {
                    str(racer): [None if b is None else format(b, "f") for b in bests]
                    for racer, bests in found.racers.items()
                },
            }
        )

    return router
