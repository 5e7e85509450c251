"""Jittered exponential backoff, one formula for every retry loop."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): "full jitter", a random delay
    between 0 and ``min(cap, base * 2**attempt)``, so retrying callers spread out."""
    return random.uniform(0, min(cap, base * 2**attempt))
