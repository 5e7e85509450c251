"""One retry helper for every loop that owns a retry: bounded attempts, full-jitter backoff.

Who owns which retry is the platform's rule (boto3's standard mode for AWS calls, an adapter
for conflicts only it understands, the stream or queue for redelivery, Step Functions for its
tasks); this module only says how an owner waits and gives up, so every loop does it alike.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.shared.errors import UnavailableError

log = logging.getLogger(__name__)
T = TypeVar("T")


#: Doublings past this change nothing (every cap is reached long before) and would overflow.
_MAX_DOUBLINGS = 64


def _full_jitter(failures: int, base: float, cap: float) -> float:
    return random.uniform(0, min(cap, base * 2 ** min(failures, _MAX_DOUBLINGS)))


@dataclass(frozen=True, slots=True)
class Backoff:
    """The pause of a loop that never gives up (a consumer polling its stream or queue):
    full jitter under ``min(cap, base * 2**failures)``, by failures in a row."""

    base: float
    cap: float

    def delay(self, failures: int) -> float:
        return _full_jitter(failures, self.base, self.cap)

    def pause_blocking(self, failures: int) -> None:
        time.sleep(self.delay(failures))


@dataclass(frozen=True, slots=True)
class Retry:
    """``attempts`` tries in all, waiting after failed try ``n`` (0-based) a random delay
    between 0 and ``min(cap, base * 2**n)`` seconds ("full jitter", so retrying callers
    spread out instead of retrying in step)."""

    attempts: int
    base: float
    cap: float

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try ``attempt`` (0-based)."""
        return _full_jitter(attempt, self.base, self.cap)

    async def pause(self, attempt: int) -> None:
        """Wait after failed try ``attempt``: for loops that decide themselves whether to go
        on (a version conflict, unprocessed keys, a partly failed put)."""
        await asyncio.sleep(self.delay(attempt))

    def pause_blocking(self, attempt: int) -> None:
        """``pause`` for a thread that may block (a command-line producer or consumer)."""
        time.sleep(self.delay(attempt))

    async def call(
        self,
        work: Callable[[], Awaitable[T]],
        on: tuple[type[Exception], ...] = (UnavailableError,),
    ) -> T:
        """``await work()`` until it does not raise one of ``on``; the last try's error is
        raised."""
        for attempt in range(self.attempts):
            try:
                return await work()
            except on as exc:
                if attempt + 1 == self.attempts:
                    raise
                log.warning("retrying after: %s", exc)
                await self.pause(attempt)
        raise AssertionError("attempts must be at least 1")

    def call_blocking(
        self,
        work: Callable[[], T],
        on: tuple[type[Exception], ...] = (UnavailableError,),
    ) -> T:
        """``call`` for a thread that may block."""
        for attempt in range(self.attempts):
            try:
                return work()
            except on as exc:
                if attempt + 1 == self.attempts:
                    raise
                log.warning("retrying after: %s", exc)
                self.pause_blocking(attempt)
        raise AssertionError("attempts must be at least 1")
