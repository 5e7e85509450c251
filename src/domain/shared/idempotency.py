"""Idempotent execution: a request identified by a key runs once; retries replay its result.

The shape follows the idempotency utility of Powertools for AWS Lambda: a record is locked
(INPROGRESS) on arrival, COMPLETED with the response to replay, and deleted when processing
raises, so a retry can run. A replay with another payload is a conflict, and so is a
duplicate still in flight.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from domain.shared.errors import ConflictError, UnavailableError
from domain.shared.time import to_millis

if TYPE_CHECKING:
    from ports.shared import Clock, IdempotencyStore

DEFAULT_EXPIRY_SECONDS = 3600
DEFAULT_LOCK_SECONDS = 60


class RecordStatus(StrEnum):
    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    key: str
    status: RecordStatus
    payload_hash: str
    #: Epoch seconds after which the record is gone (the DynamoDB TTL attribute).
    expiration: int
    #: Epoch milliseconds after which an INPROGRESS lock has lapsed.
    in_progress_expiration: int
    response: str | None = None


class IdempotencyConflictError(ConflictError):
    code = "idempotency-key-reused"
    title = "Idempotency key reused with another payload"


class AlreadyInProgressError(ConflictError):
    code = "request-in-progress"
    title = "The same request is already in progress"


class IdempotencyStoreUnavailableError(UnavailableError):
    code = "idempotency-store-unavailable"
    title = "Idempotency store unavailable"


def digest(*parts: Any) -> str:
    """A stable SHA-256 of JSON-serialisable parts (sorted keys, no whitespace)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def run_once(
    store: IdempotencyStore,
    clock: Clock,
    key: str,
    payload_hash: str,
    work: Callable[[], Awaitable[str]],
    *,
    expiry_seconds: int = DEFAULT_EXPIRY_SECONDS,
    lock_seconds: float = DEFAULT_LOCK_SECONDS,
) -> str:
    """Run ``work`` once per key and return its (string) result; replays return the stored one.

    Raises IdempotencyConflictError (same key, other payload), AlreadyInProgressError, or
    whatever ``work`` raises (after deleting the record, so a retry runs again).
    """
    now = clock.now()
    now_ms = to_millis(now)
    record = IdempotencyRecord(
        key,
        RecordStatus.INPROGRESS,
        payload_hash,
        expiration=int(now.timestamp()) + expiry_seconds,
        in_progress_expiration=now_ms + int(lock_seconds * 1000),
    )
    existing = await store.acquire(record, now_ms)
    if existing is not None:
        if existing.payload_hash != payload_hash:
            raise IdempotencyConflictError(
                "This idempotency key was already used with a different payload; "
                "use a new key for a new request."
            )
        if existing.status is RecordStatus.COMPLETED and existing.response is not None:
            return existing.response
        raise AlreadyInProgressError("The same request is still being processed; retry later.")
    try:
        response = await work()
    except BaseException:
        await store.release(key)
        raise
    await store.complete(key, response, record.expiration)
    return response
