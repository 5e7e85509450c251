"""Shared-kernel adapters backed by the operating system."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Clock reading the system's UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)
