"""Races in DynamoDB: the live board per race, and stream-consumer checkpoints.

Layout in ``RACES_TABLE`` (shared with the result and class boards, which the leaderboard
adapter writes): the live board is ``PK = race-<c>-<r>``, ``SK = live`` with ``classId``,
``raceId``, ``second``, ``finished``, ``duplicates``, ``version`` and ``racers``: every
racer's name, exact total, latest output, last second, seen-second bitmap and submitted total,
as zlib-compressed JSON (about 40 bytes per racer, so 1,000 racers stay far under the 400 KB
item limit). It has no ``GSI`` attribute, so it stays out of ``GSI_PK_Index``. Saves are
conditional on ``version``. A race not yet settled (a racer not finished, or a finished total
not yet on the boards) also has a marker ``PK = races-unfinished``, ``SK = race-<c>-<r>`` that
the sweep queries instead of scanning the table. Checkpoints are ``PK = checkpoint-<stream>``,
``SK = <shard id>``, ``sequenceNumber``.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import call
from domain.races.errors import PoisonRecordError, RaceStoreUnavailableError, StaleRaceError
from domain.races.model import LiveRace, RacerProgress, race_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

LIVE = "live"
UNFINISHED = "races-unfinished"
_T = TypeVar("_T")


def live_item(race: LiveRace) -> dict[str, AttributeValueTypeDef]:
    """The live item of a race (DynamoDB attribute values)."""
    racers = {
        str(r.racer_id): [
            r.name,
            str(r.total),
            str(r.output),
            r.last_second,
            format(r.seen, "x"),
            r.finished,
            None if r.submitted is None else str(r.submitted),
        ]
        for r in race.racers.values()
    }
    packed = zlib.compress(json.dumps(racers, separators=(",", ":")).encode())
    return to_item(
        {
            "PK": race_key(race.class_id, race.race_id),
            "SK": LIVE,
            "classId": race.class_id,
            "raceId": race.race_id,
            "second": race.second,
            "finished": race.finished,
            "duplicates": race.duplicates,
            "version": race.version,
            "racers": packed,
        }
    )


def _live_race(stored: Mapping[str, Any]) -> LiveRace:
    """The race a deserialized live item holds (from the table or its stream)."""
    racers = json.loads(zlib.decompress(bytes(stored["racers"])))
    return LiveRace(
        int(stored["classId"]),
        int(stored["raceId"]),
        {
            int(racer_id): RacerProgress(
                int(racer_id),
                name,
                Decimal(total),
                Decimal(output),
                last,
                int(seen, 16),
                finished,
                None if submitted is None else Decimal(submitted),
            )
            for racer_id, (name, total, output, last, seen, finished, submitted) in racers.items()
        },
        int(stored["duplicates"]),
        int(stored["version"]),
    )


def live_race_from_image(image: Mapping[str, Any]) -> LiveRace | None:
    """The race in a stream image of the table (an item in the same wire format), None for
    items that are not a live race (results, class bests, markers, checkpoints).
    PoisonRecordError for an image this adapter cannot read (its message names the item)."""
    try:
        # The sort key read raw: every board entry written is on the stream, skipped undecoded.
        if image.get("SK", {}).get("S") != LIVE:
            return None
        item = dict(image)
        # Raw: Lambda's event carries binary as base64 text, which the deserializer refuses.
        packed = item["racers"]["B"]
        if isinstance(packed, str):
            item["racers"] = {"B": base64.b64decode(packed, validate=True)}
        return _live_race(from_item(item))
    except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError, zlib.error) as exc:
        where = image.get("PK") if isinstance(image, Mapping) else None
        raise PoisonRecordError(f"unreadable live image {where!r}: {exc!r}"[:1000]) from exc


class _Table:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    async def _run(self, fn: Callable[..., _T], **kwargs: Any) -> _T:
        return await call(
            RaceStoreUnavailableError, "races table", fn, TableName=self._table, **kwargs
        )


class DynamoDBRaceStore(_Table):
    """RaceStore on ``RACES_TABLE`` (see the module docstring for the layout)."""

    async def live(self, class_id: int, race_id: int) -> LiveRace | None:
        key = to_item({"PK": race_key(class_id, race_id), "SK": LIVE})
        answer = await self._run(self._client.get_item, Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else _live_race(from_item(item))

    async def save(self, race: LiveRace) -> LiveRace:
        saved = race.copy()
        saved.version += 1
        marker = {"PK": UNFINISHED, "SK": race_key(race.class_id, race.race_id)}
        if not saved.settled:
            # First, so a crash after the live write never hides the race from the sweep.
            item = to_item({**marker, "classId": race.class_id, "raceId": race.race_id})
            await self._run(self._client.put_item, Item=item)
        try:
            if race.version == 0:
                condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
            else:
                condition = {
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": values(v=race.version),
                }
            await self._run(self._client.put_item, Item=live_item(saved), **condition)
        except ClientError as exc:
            raise StaleRaceError(f"{race_key(race.class_id, race.race_id)} changed") from exc
        if saved.settled:
            await self._run(self._client.delete_item, Key=to_item(marker))
        return saved

    async def unfinished(self) -> list[LiveRace]:
        races: list[LiveRace] = []
        start: dict[str, Any] = {}
        while True:
            answer = await self._run(
                self._client.query,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues=values(pk=UNFINISHED),
                ConsistentRead=True,
                **start,
            )
            for marker in answer.get("Items", []):
                stored = from_item(marker)
                race = await self.live(int(stored["classId"]), int(stored["raceId"]))
                if race is not None and race.settled:  # settled after a crash: tidy up
                    await self._run(
                        self._client.delete_item, Key={k: marker[k] for k in ("PK", "SK")}
                    )
                elif race is not None:
                    races.append(race)
            if "LastEvaluatedKey" not in answer:
                return races
            start = {"ExclusiveStartKey": answer["LastEvaluatedKey"]}


class DynamoDBCheckpoints(_Table):
    """Checkpoints on ``RACES_TABLE``: ``checkpoint-<stream>`` / shard id."""

    async def get(self, stream: str, shard: str) -> str | None:
        key = to_item({"PK": f"checkpoint-{stream}", "SK": shard})
        answer = await self._run(self._client.get_item, Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else str(from_item(item)["sequenceNumber"])

    async def put(self, stream: str, shard: str, sequence_number: str) -> None:
        item = {"PK": f"checkpoint-{stream}", "SK": shard, "sequenceNumber": sequence_number}
        await self._run(self._client.put_item, Item=to_item(item))


def enable_live_stream(client: DynamoDBClient, table: str) -> bool:
    """Turn on the table's stream of new images (read by ``publish_handler``); True when it
    was off."""
    description = client.describe_table(TableName=table)["Table"]
    if description.get("StreamSpecification", {}).get("StreamEnabled"):
        return False
    client.update_table(
        TableName=table,
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    return True
