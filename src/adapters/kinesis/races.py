"""The race stream on Kinesis: a producer (``PutRecords``) and a shard reader.

The producer splits records into calls of at most 500 records and 5 MB and re-sends only the
entries a call reports as failed (throttled), with bounded jittered backoff. The reader keeps
each shard's next iterator, so a steady consumer makes one ``GetRecords`` call per read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.boto import call
from adapters.kinesis.batching import put_all
from domain.races.errors import RaceStoreUnavailableError
from domain.races.stream import PutReport, ShardRecord, StreamRecord
from domain.shared.time import to_millis

if TYPE_CHECKING:
    from mypy_boto3_kinesis.client import KinesisClient

_T = TypeVar("_T")
_EXPECTED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "LimitExceededException",
    "ExpiredIteratorException",
}


async def _call(what: str, fn: Callable[..., _T], **kwargs: Any) -> _T:
    """A stream call; throttling and an expired iterator pass through (the caller decides)."""
    what = f"race stream {what}"
    return await call(RaceStoreUnavailableError, what, fn, expected=_EXPECTED, **kwargs)


class KinesisStreamProducer:
    """StreamProducer on a Kinesis stream."""

    def __init__(self, client: KinesisClient, stream: str) -> None:
        self._client = client
        self._stream = stream

    async def put(self, records: Sequence[StreamRecord]) -> PutReport:
        return await put_all(records, self._send)

    async def _send(self, batch: list[StreamRecord]) -> list[StreamRecord]:
        entries = [{"Data": r.data, "PartitionKey": r.partition_key} for r in batch]
        try:
            answer = await _call(
                "write", self._client.put_records, StreamName=self._stream, Records=entries
            )
        except ClientError:  # throttled as a whole: every entry is to be re-sent
            return batch
        return [
            r for r, result in zip(batch, answer["Records"], strict=True) if "ErrorCode" in result
        ]


class KinesisStreamReader:
    """StreamReader on a Kinesis stream."""

    def __init__(self, client: KinesisClient, stream: str) -> None:
        self._client = client
        self._stream = stream
        self._iterators: dict[tuple[str, str | None], str] = {}

    async def shards(self) -> list[str]:
        shards: list[str] = []
        kwargs: dict[str, Any] = {"StreamName": self._stream}
        while True:
            answer = await _call("shard listing", self._client.list_shards, **kwargs)
            shards += [s["ShardId"] for s in answer["Shards"]]
            if not answer.get("NextToken"):
                return shards
            kwargs = {"NextToken": answer["NextToken"]}

    async def read(self, shard: str, after: str | None, limit: int) -> list[ShardRecord]:
        iterator = self._iterators.pop((shard, after), None)
        for _ in range(2):
            if iterator is None:
                iterator = await self._iterator(shard, after)
            try:
                answer = await _call(
                    "read", self._client.get_records, ShardIterator=iterator, Limit=limit
                )
                break
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ExpiredIteratorException":
                    return []  # throttled: nothing this time, the caller polls again
                iterator = None
        else:
            raise RaceStoreUnavailableError("The race stream keeps expiring its iterators.")
        records = [
            ShardRecord(
                r["SequenceNumber"],
                r["PartitionKey"],
                r["Data"],
                to_millis(r["ApproximateArrivalTimestamp"]),
            )
            for r in answer["Records"]
        ]
        if answer.get("NextShardIterator"):
            position = records[-1].sequence_number if records else after
            self._iterators[(shard, position)] = answer["NextShardIterator"]
        return records

    async def _iterator(self, shard: str, after: str | None) -> str:
        position: dict[str, Any] = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if after is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
        )
        answer = await _call(
            "iterator",
            self._client.get_shard_iterator,
            StreamName=self._stream,
            ShardId=shard,
            **position,
        )
        iterator: str = answer["ShardIterator"]
        return iterator


def create_stream(client: KinesisClient, stream: str, shards: int) -> bool:
    """Create the stream with ``shards`` shards unless it exists; True when it was created."""
    try:
        client.create_stream(StreamName=stream, ShardCount=shards)
    except client.exceptions.ResourceInUseException:
        return False
    client.get_waiter("stream_exists").wait(StreamName=stream)
    return True
