"""Records on the way in: what a producer sends to the stream and what a consumer reads."""

from __future__ import annotations

from dataclasses import dataclass


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
