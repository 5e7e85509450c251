"""The error root every context's errors derive from.

Each category maps to one HTTP status in the entrypoints; the domain never names a status.
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    #: A stable, kebab-case identifier of the problem (used as the problem ``type``).
    code = "domain-error"
    #: A short, human-readable summary that does not change between occurrences.
    title = "Domain error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input field: where it is and what is wrong with it."""

    field: str
    message: str


class NotFoundError(DomainError):
    code = "not-found"
    title = "Resource not found"


class InvalidInputError(DomainError):
    code = "invalid-input"
    title = "Invalid input"

    def __init__(self, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(detail)
        self.errors = errors


class UnauthenticatedError(DomainError):
    """No valid credentials: missing, expired, forged, unsigned or for another audience."""

    code = "unauthenticated"
    title = "Authentication required"


class ForbiddenError(DomainError):
    """The authenticated caller may not do this (not the owner, not the host)."""

    code = "forbidden"
    title = "Not allowed"


class ConflictError(DomainError):
    code = "conflict"
    title = "Conflict"


class UnavailableError(DomainError):
    """A dependency the use case needs cannot answer now; the caller may retry later."""

    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, retry_after_seconds: int = 5) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
