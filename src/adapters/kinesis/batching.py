"""Kinesis ``PutRecords`` batching, without boto3: the limits of one call and the re-sending
of only the entries a call reports failed. The Kinesis producer and its in-memory stand-in
(which mimics partial failures) both put through it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from domain.races.stream import PutReport, StreamRecord
from domain.shared.retry import Retry

#: ``PutRecords`` limits: records and bytes (data plus partition keys) per call.
MAX_PUT_RECORDS = 500
MAX_PUT_BYTES = 5 * 1024 * 1024
#: Tries per entry before a put reports it failed (a partial failure is this adapter's own
#: retry: boto3 sees a successful call).
PUT_RETRY = Retry(attempts=5, base=0.05, cap=2.0)


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
    retry: Retry = PUT_RETRY,
) -> PutReport:
    """Send records in ``PutRecords``-sized calls through ``send`` (which returns the entries
    that failed), re-sending only those under ``retry``."""
    report = PutReport()
    for batch in put_batches(list(records)):
        pending = batch
        for attempt in range(retry.attempts):
            failed = await send(pending)
            report.sent += len(pending) - len(failed)
            if not failed:
                break
            if attempt + 1 < retry.attempts:
                report.retried += len(failed)
                await retry.pause(attempt)
            pending = failed
        else:
            report.failed += len(pending)
    return report
