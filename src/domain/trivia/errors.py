"""Errors of the trivia context."""

from __future__ import annotations

from domain.shared.errors import (
    ConflictError,
    DomainError,
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


class GrantAlreadyClaimedError(ConflictError):
    code = "grant-already-claimed"
    title = "Today's grant was already claimed"

    def __init__(self, day: str) -> None:
        super().__init__(f"The daily grant of {day} (UTC) was already claimed; come back tomorrow.")


class InvalidListingError(InvalidInputError):
    code = "invalid-listing"
    title = "Invalid listing"


class InvalidGrantError(InvalidInputError):
    code = "invalid-grant"
    title = "Invalid grant request"


class ResaleNotAllowedError(ForbiddenError):
    code = "resale-not-allowed"
    title = "A purchased copy cannot be sold"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"Quiz {quiz_id!r} is a purchased copy; only original quizzes are sold.")


class PurchasedCopyError(ForbiddenError):
    code = "purchased-copy"
    title = "A purchased copy cannot be edited"

    def __init__(self, quiz_id: str) -> None:
        super().__init__(f"Quiz {quiz_id!r} is a purchased copy: read, play or activate it.")


class QuizListedError(ConflictError):
    code = "quiz-listed"
    title = "The quiz is on the marketplace"

    def __init__(self, quiz_id: str, listing_id: str) -> None:
        super().__init__(
            f"Quiz {quiz_id!r} is for sale as listing {listing_id!r}; withdraw it first."
        )


class OwnListingError(ForbiddenError):
    code = "own-listing"
    title = "Buying one's own listing"

    def __init__(self, listing_id: str) -> None:
        super().__init__(f"Listing {listing_id!r} is yours; you already own the quiz.")


class NotListingSellerError(ForbiddenError):
    code = "not-listing-seller"
    title = "Not the listing's seller"

    def __init__(self, listing_id: str) -> None:
        super().__init__(f"Only the seller may withdraw listing {listing_id!r}.")


class ListingNotFoundError(NotFoundError):
    code = "listing-not-found"
    title = "Listing not found"

    def __init__(self, listing_id: str) -> None:
        super().__init__(f"There is no listing {listing_id!r}.")


class ListingUnavailableError(ConflictError):
    """Buying a listing that is sold, withdrawn, or never was: the marketplace moved on."""

    code = "listing-unavailable"
    title = "Listing sold or gone"

    def __init__(self, listing_id: str) -> None:
        super().__init__(f"Listing {listing_id!r} is sold or no longer on the marketplace.")


class InsufficientBalanceError(InvalidInputError):
    code = "insufficient-balance"
    title = "Insufficient balance"

    def __init__(self, price: str) -> None:
        super().__init__(f"The wallet holds less than the price of {price} coins.")


# -- live games: each ``code`` is the error code the live-game protocol sends -------------


class UnknownGameError(NotFoundError):
    code = "unknown-game"
    title = "No such live game"

    def __init__(self, game_id: str) -> None:
        super().__init__(f"There is no live game {game_id!r}.")


class NotHostError(ForbiddenError):
    code = "not-host"
    title = "Only the host may do this"


class NotInGameError(ForbiddenError):
    code = "not-in-game"
    title = "Not a player of this game"


class LiveNotAllowedError(ForbiddenError):
    code = "not-allowed"
    title = "Not allowed now"


class GameNotStartedError(ConflictError):
    code = "game-not-started"
    title = "The game has not started"


class GameEndedError(ConflictError):
    code = "game-ended"
    title = "The game has ended"


class QuestionClosedError(ConflictError):
    code = "question-closed"
    title = "The question is closed"


class AlreadyAnsweredError(ConflictError):
    code = "already-answered"
    title = "Already answered"


class StaleLiveGameError(ConflictError):
    """Another action saved the game first (optimistic concurrency): read it again."""

    code = "stale-live-game"
    title = "Live game changed meanwhile"


class InvalidProfileError(InvalidInputError):
    code = "invalid-profile"
    title = "Invalid profile"


class InvalidPushSubscriptionError(InvalidInputError):
    code = "invalid-push-subscription"
    title = "Invalid push subscription"


class TooManyUploadsError(ConflictError):
    code = "too-many-uploads"
    title = "Too many pending uploads"


class InvalidImageError(DomainError):
    """An uploaded image that cannot be an avatar (not its declared type, too large,
    undecodable); ``reason`` is told to the player. Never an HTTP answer: uploads are
    processed after the fact."""

    code = "invalid-image"
    title = "Invalid image"


class AvatarStoreUnavailableError(UnavailableError):
    code = "avatar-store-unavailable"
    title = "Avatar store unavailable"


class ModerationUnavailableError(UnavailableError):
    code = "moderation-unavailable"
    title = "Moderation service unavailable"


class PushUnavailableError(UnavailableError):
    """A push service did not take a message now (timeout, 429, 5xx): it may be retried."""

    code = "push-unavailable"
    title = "Push service unavailable"


class UploadRefusedError(ForbiddenError):
    """A POST that breaks its upload form's policy (as S3 answers 403 AccessDenied)."""

    code = "upload-refused"
    title = "Upload refused"


class PushNotConfiguredError(NotFoundError):
    code = "push-not-configured"
    title = "Web Push is not configured"

    def __init__(self) -> None:
        super().__init__("This server has no VAPID key (VAPID_PRIVATE_KEY): no Web Push.")
