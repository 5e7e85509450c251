"""Races on S3: the all-time history per class, and reading Firehose-delivered archives.

History objects are ``history/class-<classId>.json.gz`` in ``HISTORY_BUCKET``: gzip JSON
``{"classId", "updatedAt", "racers": {"<racerId>": [best output at second 1, ...]}}``, bests
as exact decimal strings or null. This adapter owns that format: it reads back whatever it
wrote, whatever the input limits are now. Writes are conditional on the ETag read
(``If-Match``; ``If-None-Match: *`` for the first one), so two processors never lose each
other's records: the loser re-reads and merges again.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.boto import call
from domain.races.errors import RaceStoreUnavailableError, StaleRaceError
from domain.races.model import ClassHistory

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

_T = TypeVar("_T")
_MISSING = {"NoSuchKey", "404"}
_STALE = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def history_key(class_id: int) -> str:
    return f"history/class-{class_id}.json.gz"


def history_document(history: ClassHistory) -> dict[str, Any]:
    return {
        "classId": history.class_id,
        "updatedAt": history.updated_at,
        "racers": {
            str(racer): [None if b is None else format(b, "f") for b in bests]
            for racer, bests in history.racers.items()
        },
    }


def history_of(document: dict[str, Any], race_seconds: int) -> ClassHistory:
    """The inverse of ``history_document``; records longer than the race (RACE_SECONDS was
    shortened since) are cut, shorter ones padded."""
    racers = {
        int(racer): [None if b is None else Decimal(b) for b in bests][:race_seconds]
        + [None] * max(0, race_seconds - len(bests))
        for racer, bests in document.get("racers", {}).items()
    }
    updated_at = int(document.get("updatedAt", 0))
    return ClassHistory(int(document["classId"]), race_seconds, racers, updated_at)


async def _call(what: str, fn: Callable[..., _T], **kwargs: Any) -> _T:
    """An S3 call; a missing object and a failed precondition pass through."""
    return await call(RaceStoreUnavailableError, what, fn, expected=_MISSING | _STALE, **kwargs)


class S3HistoryStore:
    """HistoryStore on an S3 bucket, versioned by ETag."""

    def __init__(self, client: S3Client, bucket: str, race_seconds: int) -> None:
        self._client = client
        self._bucket = bucket
        self._race_seconds = race_seconds

    async def load(self, class_id: int) -> tuple[ClassHistory | None, str | None]:
        try:
            answer = await _call(
                "history read",
                self._client.get_object,
                Bucket=self._bucket,
                Key=history_key(class_id),
            )
        except ClientError:  # missing: no records yet (any other error was raised above)
            return None, None
        body = await asyncio.to_thread(answer["Body"].read)
        document = json.loads(gzip.decompress(body))
        return history_of(document, self._race_seconds), str(answer["ETag"])

    async def save(self, history: ClassHistory, version: str | None) -> None:
        # Level 6 (zlib's default), not gzip's 9: 8x faster on a 2.6 MB history, 2% larger.
        document = json.dumps(history_document(history), separators=(",", ":")).encode()
        body = gzip.compress(document, compresslevel=6)
        condition = {"IfMatch": version} if version else {"IfNoneMatch": "*"}
        try:
            await _call(
                "history write",
                self._client.put_object,
                Bucket=self._bucket,
                Key=history_key(history.class_id),
                Body=body,
                ContentType="application/json",
                ContentEncoding="gzip",
                **condition,
            )
        except ClientError as exc:
            raise StaleRaceError(f"class {history.class_id} history changed") from exc


class S3ArchiveReader:
    """ArchiveReader on S3 (the Firehose delivery bucket)."""

    def __init__(self, client: S3Client) -> None:
        self._client = client

    async def read(self, bucket: str, key: str) -> bytes:
        try:
            answer = await _call("archive read", self._client.get_object, Bucket=bucket, Key=key)
        except ClientError as exc:
            raise RaceStoreUnavailableError(f"No archive s3://{bucket}/{key}.") from exc
        body: bytes = await asyncio.to_thread(answer["Body"].read)
        return body
