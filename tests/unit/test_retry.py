"""The one retry helper: bounded tries, full-jitter delays, only the named errors retried."""

from __future__ import annotations

import asyncio

import pytest

from domain.shared.errors import UnavailableError
from domain.shared.retry import Backoff, Retry

FAST = Retry(attempts=3, base=0.0001, cap=0.0002)


def test_delays_are_full_jitter_under_the_exponential_bound() -> None:
    policy = Retry(attempts=10, base=0.01, cap=0.05)
    for attempt, bound in [(0, 0.01), (1, 0.02), (2, 0.04), (3, 0.05), (9, 0.05)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound / 2  # spread over the range, not a fixed pause


def test_a_transient_failure_is_retried_until_it_passes() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise UnavailableError("throttled")
        return "done"

    assert asyncio.run(FAST.call(flaky)) == "done"
    assert len(calls) == 3
    calls.clear()
    assert FAST.call_blocking(lambda: asyncio.run(flaky())) == "done"
    assert len(calls) == 3


def test_the_last_tries_error_is_raised_and_other_errors_are_not_retried() -> None:
    calls = []

    def down() -> None:
        calls.append(1)
        raise UnavailableError("down")

    with pytest.raises(UnavailableError):
        FAST.call_blocking(down)
    assert len(calls) == FAST.attempts
    calls.clear()

    def bug() -> None:
        calls.append(1)
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        FAST.call_blocking(bug)
    assert len(calls) == 1


def test_a_consumer_that_never_gives_up_keeps_a_bounded_pause() -> None:
    backoff = Backoff(base=0.05, cap=5.0)
    for failures in (0, 10, 1_100, 10**6):  # 2**1100 would overflow a float
        assert 0 <= backoff.delay(failures) <= 5.0
    assert 0 <= Retry(attempts=2, base=0.05, cap=5.0).delay(5_000) <= 5.0
