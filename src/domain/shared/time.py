"""Instants as epoch milliseconds, exactly (integer arithmetic, never float seconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)
