"""The local server's and the container's timers, run by the app's lifespan: each sweep on
its period, and a bounded stop."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
#: How long the stop waits for the timers, then for the clients' close.
STOP_SECONDS = 3.0


async def every(seconds: float, sweep: Callable[[], Awaitable[object]], what: str) -> None:
    """``sweep`` every ``seconds`` until cancelled: the local timer standing in for a
    scheduled sweep handler on Lambda (a failed sweep is retried on the next tick)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await sweep()
        except Exception:
            log.exception("%s sweep failed", what)


async def stop(timers: list[asyncio.Task[None]], close: Awaitable[None]) -> None:
    """Cancel the timers, then close the clients, each wait bounded: a task stuck in a
    client's close must not hold the process past its stop (its stack is logged)."""
    for timer in timers:
        timer.cancel()
    closing = asyncio.ensure_future(close)
    for tasks in (timers, [closing]):
        if not tasks:
            continue
        _, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        for task in stuck:
            stack = io.StringIO()
            task.print_stack(file=stack)
            log.warning("still running after %s s at the stop:\n%s", STOP_SECONDS, stack.getvalue())
    if closing.done():
        closing.result()  # a failed close is the stop's error, as it was unbounded
