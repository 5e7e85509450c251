"""Ports of the shared kernel."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time; the domain never reads the system clock itself."""

    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...
