"""The correlation id: the id of the outside request or invocation a piece of work started
from, carried into the events it publishes and the saga executions it starts, so the log
lines of every consumer and step can be found by the id the caller saw (``X-Request-Id``,
the Lambda request id).

The entry points set it; the adapters that hand work on (SNS, Step Functions) write it into
what they send; the intake of that work sets it again from what it received.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The current work's correlation id, if any.
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def safe_correlation_id(value: object) -> str | None:
    """``value`` when it may serve as a correlation id (1-128 of ``A-Za-z0-9._:-``, so it
    is safe in a header, a log line and an execution input), else None."""
    return value if isinstance(value, str) and _SAFE.fullmatch(value) else None


@contextmanager
def correlation(value: object) -> Iterator[None]:
    """Run the block with ``value`` as the correlation id; one that is missing or unsafe
    leaves the current id in place."""
    safe = safe_correlation_id(value)
    if safe is None:
        yield
        return
    token = correlation_id.set(safe)
    try:
        yield
    finally:
        correlation_id.reset(token)
