"""Wire models of the races context.

Device messages are the one input the domain parses itself (``domain.races.model.
parse_message``, shared by HTTP, Kinesis, Firehose and the S3 archives), because a batch
rejects its bad messages one by one rather than as a whole: the route decodes the batch with
``decode_items`` (each message on its own) and leaves each to that parser. Their schema, for
the OpenAPI document, is built from the configured race rules.
"""

from typing import Any, Self

from pydantic import Field

from domain.races.model import (
    MAX_CADENCE,
    MAX_ID,
    MAX_NAME,
    MAX_RESISTANCE,
    MAX_UUID,
    ClassHistory,
    RaceRules,
)
from domain.races.service import IngestReport
from entrypoints.http.models.shared import UNKNOWN_FIELDS, EntryBody, ResponseModel

MAX_BATCH = 10_000
#: 10,000 messages of the simulator's ~200 bytes (a larger batch is split by its sender).
MAX_BATCH_BYTES = 2 * 1024 * 1024


def message_schema(rules: RaceRules) -> dict[str, Any]:
    """The JSON schema of one device message under ``rules``."""
    ids = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {
        "type": "object",
        "title": "DeviceMessage",
        "description": "One second of one racer. Unknown fields are ignored; a message that "
        "breaks a rule is rejected alone, named by its index in the answer's errors.",
        "required": ["classId", "raceId", "racerId", "second", "cadence", "resistance"],
        **UNKNOWN_FIELDS,
        "properties": {
            "classId": {"type": "integer", "enum": list(rules.classes)},
            "raceId": {**ids, "description": "floor(epoch ms / (RACE_SECONDS x 1000))"},
            "racerId": ids,
            "second": {"type": "integer", "minimum": 1, "maximum": rules.race_seconds},
            "cadence": {"type": "number", "minimum": 0, "maximum": float(MAX_CADENCE)},
            "resistance": {"type": "number", "minimum": 0, "maximum": float(MAX_RESISTANCE)},
            "event": {"enum": ["update", "final"], "default": "update"},
            "name": {"type": ["string", "null"], "maxLength": MAX_NAME},
            "uuid": {"type": ["string", "null"], "maxLength": MAX_UUID},
        },
    }


def batch_body(rules: RaceRules) -> dict[str, Any]:
    """The OpenAPI request body of ``POST /races/events``: at most ``MAX_BATCH`` messages, as
    an array or under ``messages`` (the route decodes it itself, message by message)."""
    batch = {"type": "array", "maxItems": MAX_BATCH, "items": message_schema(rules)}
    envelope = {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": batch},
        **UNKNOWN_FIELDS,
    }
    return {
        "required": True,
        "description": f"At most {MAX_BATCH:,} device messages, as an array or in an "
        "object's `messages`.",
        "content": {"application/json": {"schema": {"anyOf": [batch, envelope]}}},
    }


class RejectedBody(ResponseModel):
    index: int = Field(description="The message's position in the batch, from 0.")
    reason: str


class IngestBody(ResponseModel):
    accepted: int
    rejected: int
    errors: list[RejectedBody]

    @classmethod
    def of(cls, report: IngestReport) -> Self:
        return cls(
            accepted=report.accepted,
            rejected=report.rejected,
            errors=[RejectedBody(index=i, reason=r) for i, r in report.errors],
        )


class LiveRacerBody(ResponseModel):
    rank: int
    racer_id: int
    name: str | None
    total: str = Field(description="The running total, rounded to cents.")
    output: str = Field(description="The output of the racer's latest second, in cents.")


class LiveBody(ResponseModel):
    """A race's live board: racers by running total."""

    class_id: int
    race_id: int
    second: int
    racers: list[LiveRacerBody]


class NamedEntryBody(EntryBody):
    name: str | None


class NamedPageBody(ResponseModel):
    """A board of racers (members ``racer-<racerId>``) with their names."""

    board: str
    entries: list[NamedEntryBody]
    me: NamedEntryBody | None
    total: int = Field(ge=0)


class HistoryBody(ResponseModel):
    """All-time best output per racer per second of the race (null: no record yet)."""

    class_id: int
    updated_at: int = Field(description="Epoch milliseconds of the last merge.")
    racers: dict[str, list[str | None]]

    @classmethod
    def of(cls, history: ClassHistory) -> Self:
        return cls(
            class_id=history.class_id,
            updated_at=history.updated_at,
            racers={
                str(racer): [None if b is None else format(b, "f") for b in bests]
                for racer, bests in history.racers.items()
            },
        )
