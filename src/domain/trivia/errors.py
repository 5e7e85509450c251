"""Errors of the trivia context."""

from __future__ import annotations

from domain.shared.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)


class InvalidTokenError(UnauthenticatedError):
    code = "invalid-token"
    title = "Invalid or missing token"


class InvalidQuizError(InvalidInputError):
    code = "invalid-quiz"
    title = "Invalid quiz"


class InvalidResponsesError(InvalidInputError):
    code = "invalid-responses"
    title = "Invalid responses"


class QuizNotFoundError(NotFoundError):
    code = "quiz-not-found"
    title = "Quiz not found"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"There is no quiz {quiz_id!r}.")


class GameNotFoundError(NotFoundError):
    code = "game-not-found"
    title = "Game not found"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"No active game has the quiz {quiz_id!r}.")


class NotQuizOwnerError(ForbiddenError):
    code = "not-quiz-owner"
    title = "Not the quiz's owner"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"Only the quiz's owner may do this to quiz {quiz_id!r}.")


class TriviaStoreUnavailableError(UnavailableError):
    code = "trivia-store-unavailable"
    title = "Trivia store unavailable"


class IdentityProviderUnavailableError(UnavailableError):
    code = "identity-provider-unavailable"
    title = "Identity provider unavailable"


class InvalidCursorError(InvalidInputError):
    code = "invalid-cursor"
    title = "Invalid cursor"

    def __init__(self) -> None:
        super().__init__("The cursor is not one this API returned.")
