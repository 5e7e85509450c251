"""Records on the way in: what a producer sends to the stream and what a consumer reads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from domain.shared.backoff import backoff_delay

#: Kinesis ``PutRecords`` limits: records and bytes (data plus partition keys) per call.
MAX_PUT_RECORDS = 500
MAX_PUT_BYTES = 5 * 1024 * 1024
#: Attempts per entry before a producer reports it failed.
PUT_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One record to send: its partition key picks the shard."""

    partition_key: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ShardRecord:
    """One record read from a shard, in shard order."""

    sequence_number: str
    partition_key: str
    data: bytes
    arrival_ms: int


@dataclass(slots=True)
class PutReport:
    """What a put did: records stored, entries re-sent after a partial failure, and records
    that still failed after the last attempt (never silently dropped: the caller is told)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def put_batches(records: list[StreamRecord]) -> list[list[StreamRecord]]:
    """Split records into ``PutRecords`` calls of at most 500 records and 5 MB, in order."""
    batches: list[list[StreamRecord]] = []
    current: list[StreamRecord] = []
    size = 0
    for record in records:
        record_size = len(record.data) + len(record.partition_key.encode())
        if current and (len(current) == MAX_PUT_RECORDS or size + record_size > MAX_PUT_BYTES):
            batches.append(current)
            current, size = [], 0
        current.append(record)
        size += record_size
    if current:
        batches.append(current)
    return batches


async def put_all(
    records: Sequence[StreamRecord],
    send: Callable[[list[StreamRecord]], Awaitable[list[StreamRecord]]],
    *,
    base_delay: float = 0.05,
) -> PutReport:
    """Send records in ``PutRecords``-sized calls through ``send`` (which returns the entries
    that failed), re-sending only those, with bounded jittered backoff, up to PUT_ATTEMPTS."""
    report = PutReport()
    for batch in put_batches(list(records)):
        pending = batch
        for attempt in range(PUT_ATTEMPTS):
            failed = await send(pending)
            report.sent += len(pending) - len(failed)
            if not failed:
                break
            if attempt + 1 < PUT_ATTEMPTS:
                report.retried += len(failed)
                await asyncio.sleep(backoff_delay(attempt, base_delay, 2.0))
            pending = failed
        else:
            report.failed += len(pending)
    return report
