"""StreamProducer and StreamReader contract: in memory and Kinesis (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.kinesis.batching import MAX_PUT_RECORDS, put_batches
from adapters.memory.races import InMemoryStream
from domain.races.stream import ShardRecord, StreamRecord
from ports.races import StreamProducer, StreamReader
from tests.support.services import boto_client

pytestmark = pytest.mark.anyio


class Stream:
    def __init__(self, producer: StreamProducer, reader: StreamReader) -> None:
        self.producer, self.reader = producer, reader


@pytest.fixture(params=["memory", "kinesis"])
def stream(request: pytest.FixtureRequest) -> Iterator[Stream]:
    if request.param == "memory":
        memory = InMemoryStream(shard_count=2)
        yield Stream(memory, memory)
        return
    from adapters.kinesis.races import KinesisStreamProducer, KinesisStreamReader, create_stream

    kinesis = boto_client("kinesis", request.getfixturevalue("aws_env"))
    name = f"races-{uuid.uuid4().hex[:8]}"
    assert create_stream(kinesis, name, 2)
    assert not create_stream(kinesis, name, 2)
    yield Stream(KinesisStreamProducer(kinesis, name), KinesisStreamReader(kinesis, name))


async def read_all(reader: StreamReader, limit: int = 400) -> dict[str, list[ShardRecord]]:
    found: dict[str, list[ShardRecord]] = {}
    for shard in await reader.shards():
        records: list[ShardRecord] = []
        for _ in range(100):  # bounded
            batch = await reader.read(
                shard, records[-1].sequence_number if records else None, limit
            )
            if not batch:
                break
            records += batch
        found[shard] = records
    return found


async def test_every_record_put_is_read_once_in_order_per_key(stream: Stream) -> None:
    records = [StreamRecord(f"key-{i % 7}", f'{{"n":{i}}}'.encode()) for i in range(1200)]
    report = await stream.producer.put(records)
    assert (report.sent, report.retried, report.failed) == (1200, 0, 0)
    shards = await read_all(stream.reader)
    assert len(shards) == 2
    everything = [r for rs in shards.values() for r in rs]
    assert sorted(r.data for r in everything) == sorted(r.data for r in records)
    for key in {r.partition_key for r in records}:
        in_shards = [s for s, rs in shards.items() if any(r.partition_key == key for r in rs)]
        assert len(in_shards) == 1  # one key, one shard: its order is kept
        got = [r.data for r in shards[in_shards[0]] if r.partition_key == key]
        assert got == [r.data for r in records if r.partition_key == key]


async def test_random_keys_spread_over_the_shards(stream: Stream) -> None:
    await stream.producer.put([StreamRecord(uuid.uuid4().hex, b"{}") for _ in range(200)])
    shards = await read_all(stream.reader)
    assert all(len(records) > 20 for records in shards.values())


async def test_reading_resumes_after_a_sequence_number(stream: Stream) -> None:
    await stream.producer.put([StreamRecord("k", str(i).encode()) for i in range(10)])
    shard = next(s for s, rs in (await read_all(stream.reader)).items() if rs)
    first = await stream.reader.read(shard, None, 4)
    rest = await stream.reader.read(shard, first[-1].sequence_number, 100)
    assert [r.data for r in first + rest] == [str(i).encode() for i in range(10)]
    again = await stream.reader.read(shard, first[1].sequence_number, 100)  # a restart
    assert [r.data for r in again] == [str(i).encode() for i in range(2, 10)]


def test_puts_are_split_into_500_records_and_5_mb() -> None:
    small = [StreamRecord("k", b"x") for _ in range(1201)]
    assert [len(b) for b in put_batches(small)] == [MAX_PUT_RECORDS, MAX_PUT_RECORDS, 201]
    big = [StreamRecord("k", b"x" * 1_000_000) for _ in range(12)]
    assert [len(b) for b in put_batches(big)] == [5, 5, 2]


async def test_only_failed_entries_are_sent_again() -> None:
    memory = InMemoryStream()
    memory.fail_next = 3
    report = await memory.put([StreamRecord("k", str(i).encode()) for i in range(10)])
    assert (report.sent, report.retried, report.failed) == (10, 3, 0)
    (records,) = (await read_all(memory)).values()
    assert sorted(r.data for r in records) == sorted(str(i).encode() for i in range(10))


async def test_kinesis_resends_only_the_entries_a_call_reports_failed() -> None:
    from adapters.kinesis.races import KinesisStreamProducer

    class ThrottlingKinesis:  # the vendor's answer shape, failing entries 2 and 5 once
        def __init__(self) -> None:
            self.calls: list[list[bytes]] = []

        def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
            self.calls.append([r["Data"] for r in Records])
            first = len(self.calls) == 1
            return {
                "FailedRecordCount": 2 if first else 0,
                "Records": [
                    {"ErrorCode": "ProvisionedThroughputExceededException"}
                    if first and i in (2, 5) else {"SequenceNumber": "1", "ShardId": "s"}
                    for i in range(len(Records))
                ],
            }  # fmt: skip

    client = ThrottlingKinesis()
    report = await KinesisStreamProducer(client, "races").put(
        [StreamRecord("k", str(i).encode()) for i in range(8)]
    )
    assert (report.sent, report.retried, report.failed) == (8, 2, 0)
    assert client.calls[1] == [b"2", b"5"]
