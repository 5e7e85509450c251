"""HTTP routes of the races context: the device-message path (IoT on AWS) and the reads."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from domain.leaderboards.model import MAX_LIMIT, RankedEntry
from domain.races.errors import ClassNotFoundError
from domain.races.model import history_json, live_snapshot
from domain.races.service import RaceService
from domain.shared.errors import FieldError, InvalidInputError
from entrypoints.http.bodies import json_body
from entrypoints.http.errors import PROBLEM_RESPONSES
from entrypoints.http.leaderboards import entry_json, page_json
from ports.races import StreamProducer

MAX_BATCH = 10_000
Limit = Annotated[int, Query(description=f"1 to {MAX_LIMIT}")]
Offset = Annotated[int, Query(description="entries to skip")]


def named_entry_json(ranked: RankedEntry) -> dict[str, Any]:
    """A board entry with the racer's name."""
    return {**entry_json(ranked), "name": ranked.entry.display.get("name")}


def races_router(
    service: RaceService, stream: StreamProducer | None = None, push_seconds: float = 0.5
) -> APIRouter:
    """Routes of the races context; with ``stream`` (``RACES_STREAM``), posted messages go
    to the stream for the consumer instead of being aggregated in-process."""
    router = APIRouter(tags=["races"])

    @router.post("/races/events", status_code=202, responses={422: PROBLEM_RESPONSES[422]})
    async def post_events(request: Request) -> JSONResponse:
        """A batch of device messages (a JSON array, or ``{"messages": [...]}``); processed
        before the answer on the embedded default. Rejected messages are named by index."""
        body = await json_body(request, parse_float=Decimal, parse_int=Decimal)
        messages = body.get("messages") if isinstance(body, dict) else body
        if not isinstance(messages, list) or len(messages) > MAX_BATCH:
            problem = f"must be a list of at most {MAX_BATCH} messages"
            raise InvalidInputError(f"body: {problem}", (FieldError("body", problem),))
        if stream is None:
            report = await service.ingest(messages)
        else:
            report = await service.forward(messages, stream)
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
        return JSONResponse(live_snapshot(await service.live(class_id, race_id)))

    @router.get("/races/{class_id}/{race_id}/results", responses={404: PROBLEM_RESPONSES[404]})
    async def results(
        class_id: int, race_id: int, limit: Limit = 10, offset: Offset = 0
    ) -> JSONResponse:
        """Final results of finished racers (corrected upward if late seconds arrive)."""
        return JSONResponse(
            page_json(await service.results(class_id, race_id, limit, offset), named_entry_json)
        )

    @router.get("/classes/{class_id}/leaderboard", responses={404: PROBLEM_RESPONSES[404]})
    async def class_leaderboard(
        class_id: int, limit: Limit = 10, offset: Offset = 0
    ) -> JSONResponse:
        """Each racer's best race total in the class."""
        return JSONResponse(
            page_json(await service.class_leaderboard(class_id, limit, offset), named_entry_json)
        )

    @router.get("/classes/{class_id}/history", responses={404: PROBLEM_RESPONSES[404]})
    async def history(class_id: int) -> JSONResponse:
        """All-time best output per racer per second of the race."""
        return JSONResponse(history_json(await service.history(class_id)))

    @router.websocket("/ws/races/{class_id}")
    async def live_socket(websocket: WebSocket, class_id: int) -> None:
        """The live board of the class's current race, pushed every ``push_seconds``."""
        await websocket.accept()
        try:
            while True:
                try:
                    race = await service.current_live(class_id)
                except ClassNotFoundError as exc:
                    await websocket.close(code=1008, reason=exc.detail)
                    return
                await websocket.send_json(live_snapshot(race))
                with contextlib.suppress(TimeoutError):
                    # Waiting on receive is how a closed socket is noticed between pushes.
                    await asyncio.wait_for(websocket.receive_text(), timeout=push_seconds)
        except WebSocketDisconnect:
            return

    return router
