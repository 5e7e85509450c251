"""HTTP routes of the races context: the device-message path (IoT on AWS) and the reads."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, WebSocket, WebSocketDisconnect

from domain.leaderboards.model import RankedEntry
from domain.races.errors import ClassNotFoundError
from domain.races.model import MAX_ID, MESSAGE_LIMITS, live_snapshot
from domain.races.service import RaceService
from domain.shared.decoding import JsonLimits, decode_items
from entrypoints.http.edge import EdgeRoute, body_limit
from entrypoints.http.errors import problems
from entrypoints.http.models.races import (
    MAX_BATCH,
    MAX_BATCH_BYTES,
    HistoryBody,
    IngestBody,
    LiveBody,
    NamedPageBody,
    batch_body,
)
from entrypoints.http.models.shared import Limit, Offset, entry_body, page_fields
from ports.races import StreamProducer

ClassId = Annotated[int, Path(ge=0, le=MAX_ID, examples=[1])]
RaceId = Annotated[int, Path(ge=0, le=MAX_ID, description="The race's slot number.")]


def named_entry(ranked: RankedEntry) -> dict[str, Any]:
    """A board entry with the racer's name."""
    return {**entry_body(ranked), "name": ranked.entry.display.get("name")}


def races_router(
    service: RaceService, stream: StreamProducer | None = None, push_seconds: float = 0.5
) -> APIRouter:
    """Routes of the races context; with ``stream`` (``RACES_STREAM``), posted messages go
    to the stream for the consumer instead of being aggregated in-process."""
    router = APIRouter(tags=["races"], route_class=EdgeRoute)

    @router.post(
        "/races/events",
        status_code=202,
        response_model=IngestBody,
        openapi_extra={**body_limit(MAX_BATCH_BYTES), "requestBody": batch_body(service.rules)},
        responses=problems(503),
    )
    async def post_events(request: Request) -> IngestBody:
        """A batch of device messages; processed before the answer on the embedded default.
        A message that breaks a rule is rejected alone and named by index in ``errors``."""
        limits = JsonLimits(MAX_BATCH_BYTES)
        # The edge has checked the media type and the size; the messages are decoded one by
        # one, so one that breaks a decoding rule is rejected alone, like any other.
        messages = decode_items(
            await request.body(), limits, MESSAGE_LIMITS, key="messages", max_items=MAX_BATCH
        )
        if stream is None:
            return IngestBody.of(await service.ingest(messages))
        return IngestBody.of(await service.forward(messages, stream))

    @router.get(
        "/races/{class_id}/{race_id}/live", response_model=LiveBody, responses=problems(404, 503)
    )
    async def live(class_id: ClassId, race_id: RaceId) -> LiveBody:
        """The live board: racers by running total, with their latest output."""
        return LiveBody.model_validate(live_snapshot(await service.live(class_id, race_id)))

    @router.get(
        "/races/{class_id}/{race_id}/results",
        response_model=NamedPageBody,
        responses=problems(404, 503),
    )
    async def results(
        class_id: ClassId, race_id: RaceId, limit: Limit = 10, offset: Offset = 0
    ) -> NamedPageBody:
        """Final results of finished racers (corrected upward if late seconds arrive)."""
        page = await service.results(class_id, race_id, limit, offset)
        return NamedPageBody(**page_fields(page, named_entry))

    @router.get(
        "/classes/{class_id}/leaderboard",
        response_model=NamedPageBody,
        responses=problems(404, 503),
    )
    async def class_leaderboard(
        class_id: ClassId, limit: Limit = 10, offset: Offset = 0
    ) -> NamedPageBody:
        """Each racer's best race total in the class."""
        page = await service.class_leaderboard(class_id, limit, offset)
        return NamedPageBody(**page_fields(page, named_entry))

    @router.get(
        "/classes/{class_id}/history", response_model=HistoryBody, responses=problems(404, 503)
    )
    async def history(class_id: ClassId) -> HistoryBody:
        """All-time best output per racer per second of the race."""
        return HistoryBody.of(await service.history(class_id))

    @router.websocket("/ws/races/{class_id}")
    async def live_socket(websocket: WebSocket, class_id: ClassId) -> None:
        """The live board of the class's current race, pushed every ``push_seconds``,
        whatever the client sends: its frames are received (that is how a close is
        noticed) and dropped, so they never make the server push faster."""
        await websocket.accept()
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    race = await service.current_live(class_id)
                except ClassNotFoundError as exc:
                    await websocket.close(code=1008, reason=exc.detail)
                    return
                await websocket.send_json(live_snapshot(race))
                due = loop.time() + push_seconds
                while (left := due - loop.time()) > 0:
                    with contextlib.suppress(TimeoutError):
                        message = await asyncio.wait_for(websocket.receive(), timeout=left)
                        if message["type"] == "websocket.disconnect":
                            return
        except WebSocketDisconnect:  # closed while a board was being sent
            return

    return router
