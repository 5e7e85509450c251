"""Errors of the leaderboards context."""

from __future__ import annotations

from domain.shared.errors import (
    ConflictError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)


class BoardNotFoundError(NotFoundError):
    code = "board-not-found"
    title = "Leaderboard not found"

    def __init__(self, board: str) -> None:
        super().__init__(f"No leaderboard has the key {board!r}.")
        self.board = board


class BoardSignInRequiredError(UnauthenticatedError):
    code = "sign-in-required"
    title = "Sign in to read this leaderboard"

    def __init__(self, board: str) -> None:
        super().__init__(f"The leaderboard {board!r} is read through its owner's API, signed in.")


class BoardMembersOnlyError(ForbiddenError):
    code = "members-only"
    title = "Only members may read this leaderboard"

    def __init__(self, board: str) -> None:
        super().__init__(f"Only the members of its group may read the leaderboard {board!r}.")


class MemberNotFoundError(NotFoundError):
    code = "member-not-found"
    title = "Member not on the leaderboard"

    def __init__(self, board: str, member: str) -> None:
        super().__init__(f"{member!r} has no entry on the leaderboard {board!r}.")


class BoardExistsError(ConflictError):
    code = "board-exists"
    title = "Leaderboard exists with other settings"

    def __init__(self, board: str) -> None:
        super().__init__(f"The leaderboard {board!r} exists with another policy or expiry.")


class InvalidLeaderboardRequestError(InvalidInputError):
    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors), errors)


class LeaderboardStoreUnavailableError(UnavailableError):
    code = "leaderboard-store-unavailable"
    title = "Leaderboard store unavailable"


class SubmissionContentionError(UnavailableError):
    """Too many concurrent writers on one entry; the caller may retry."""

    code = "submission-contention"
    title = "Too many concurrent submissions"
