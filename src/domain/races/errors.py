"""Errors of the races context."""

from __future__ import annotations

from domain.shared.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError


class RaceNotFoundError(NotFoundError):
    code = "race-not-found"
    title = "Race not found"

    def __init__(self, class_id: int, race_id: int) -> None:
        super().__init__(f"Race {race_id} of class {class_id} has no data.")


class ClassNotFoundError(NotFoundError):
    code = "class-not-found"
    title = "Class not found"

    def __init__(self, class_id: int) -> None:
        super().__init__(f"There is no race class {class_id}.")


class PoisonRecordError(InvalidInputError):
    """A record that can never be processed (bad encoding, bad JSON, schema violation)."""

    code = "poison-record"
    title = "Unreadable record"


class StaleRaceError(ConflictError):
    """Someone else saved a newer version of the live race (optimistic concurrency)."""


class RaceStoreUnavailableError(UnavailableError):
    code = "race-store-unavailable"
    title = "Race store unavailable"
