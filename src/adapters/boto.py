"""What the AWS adapters share: a boto3 call run off the event loop, its failures translated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from domain.shared.errors import UnavailableError

_T = TypeVar("_T")


async def call(
    error: type[UnavailableError],
    what: str,
    fn: Callable[..., _T],
    *,
    expected: Collection[str] = (),
    **kwargs: Any,
) -> _T:
    """Run a (synchronous) boto3 call in a worker thread. A ClientError whose code is in
    ``expected`` (an outcome the adapter decides on: a failed condition, a missing object, a
    throttle) passes through; any other failure is raised as ``error``, the vendor error
    chained, so it never reaches the domain or a response."""
    try:
        return await asyncio.to_thread(fn, **kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in expected:
            raise
        raise error(f"The {what} failed.") from exc
    except BotoCoreError as exc:
        raise error(f"The {what} is unreachable.") from exc
