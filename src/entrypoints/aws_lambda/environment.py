"""What every Lambda handler module shares: one event loop and one set of services per
execution environment, built on the first invocation (so importing a handler module, as the
container consumers do, builds nothing)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from entrypoints.bootstrap import Services, bootstrap

Run = Callable[[Awaitable[Any]], Any]
H = TypeVar("H")


def per_environment(build: Callable[[Services, Run], H]) -> Callable[[], H]:
    """``build(services, run)`` once, on first call; the same handlers on every later one."""

    @functools.cache
    def handlers() -> H:
        loop = asyncio.new_event_loop()
        return build(bootstrap(), loop.run_until_complete)

    return handlers
