"""Ports of the trivia context."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from domain.trivia.live import AnswerOutcome, ChatMessage, LiveGame
from domain.trivia.market import Listing
from domain.trivia.model import Quiz
from domain.trivia.progress import Progress

if TYPE_CHECKING:  # annotations only: a Lambda of another part of trivia imports none
    from domain.shared.connections import Connection
    from domain.trivia.profiles import (
        Avatar,
        PendingUpload,
        Picture,
        Profile,
        PushSubscription,
        Rendition,
        StoredObject,
        UploadForm,
        UploadPolicy,
        Verdict,
    )


class TokenVerifier(Protocol):
    """Checks a bearer token and says who the player is.

    Raises InvalidTokenError for any token that is not valid (missing claims, expired,
    forged, unsigned, another issuer or audience), IdentityProviderUnavailableError when the
    signing keys cannot be fetched.
    """

    async def verify(self, token: str) -> str:
        """The player's username (``cognito:username``, else ``username``, else ``sub``)."""
        ...


class QuizStore(Protocol):
    """Quizzes by id, by owner, and active games by category, newest first.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def put(self, quiz: Quiz) -> None:
        """Create or replace the quiz."""
        ...

    async def get(self, quiz_id: str) -> Quiz | None: ...

    async def delete(self, quiz_id: str) -> None:
        """Remove the quiz (and its game listing); nothing if it is not there."""
        ...

    async def by_owner(self, owner: str) -> list[Quiz]:
        """The owner's quizzes, newest first."""
        ...

    async def active(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Quiz], str | None]:
        """Active games (all categories, or one), newest first, a page at a time; the
        cursor continues where the last page ended (None: no more)."""
        ...


class PlayLog(Protocol):
    """Which plays came first: the one question a ``first`` leaderboard policy needs answered
    at play time, so that late or reordered deliveries cannot change it."""

    async def claim_first(self, quiz_id: str, player: str) -> bool:
        """Atomically: True for the player's first recorded play of the quiz, else False."""
        ...


class ProgressStore(Protocol):
    """Experience and wins per player; each event is counted once per player."""

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        """Add to the player's progress unless this event was already credited to them."""
        ...

    async def get(self, username: str) -> Progress: ...


class WalletStore(Protocol):
    """Coin balances (Decimal, never negative) and the daily grants that fill them.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def balance(self, player: str) -> Decimal:
        """The player's balance (0 for a player who never had coins)."""
        ...

    async def grant(self, player: str, day: str, amount: Decimal) -> Decimal:
        """Atomically add ``amount`` unless the player already had the grant of ``day``
        (GrantAlreadyClaimedError); the balance after."""
        ...


class Marketplace(Protocol):
    """Listings of quizzes for sale, newest first, each sold at most once.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def add(self, listing: Listing) -> None:
        """Open the listing; QuizListedError if its quiz already has an open listing."""
        ...

    async def get(self, listing_id: str) -> Listing | None: ...

    async def listing_of(self, quiz_id: str) -> Listing | None:
        """The quiz's open listing, if any."""
        ...

    async def page(self, limit: int, cursor: str | None) -> tuple[list[Listing], str | None]:
        """Open listings newest first, a page at a time, read through an index (no scan);
        the cursor continues where the last page ended (None: no more)."""
        ...

    async def remove(self, listing: Listing) -> None:
        """Withdraw the listing; nothing if it is already gone."""
        ...

    async def purchase(self, listing: Listing, buyer: str, copy: Quiz) -> Decimal:
        """All or nothing: the listing is removed, the buyer pays its price, the seller is
        credited and ``copy`` (the buyer's) is stored; the buyer's balance after.

        ListingUnavailableError when the listing (or its quiz) is gone, also when a
        concurrent purchase won; InsufficientBalanceError when the buyer's balance is below
        the price. Either way nothing changed.
        """
        ...


class LiveGameStore(Protocol):
    """Hosted live games by id. The host's actions are versioned saves (few, one writer);
    answers are one atomic step each (many at once), so exactly one player wins a live
    question and no player answers one twice, whatever the concurrency.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def create(self, game: LiveGame) -> None:
        """Store a new game (its id is new and unguessable)."""
        ...

    async def get(self, game_id: str) -> LiveGame | None:
        """The game as it stands, scores included; ``answered`` holds the answers to the
        open question(s) only (the others are settled, and a game's reads must not grow
        with it)."""
        ...

    async def save(self, game: LiveGame) -> LiveGame:
        """Store a host action's result if ``game.version`` is still the stored one (then
        ``game`` with the version bumped: answers may have moved on meanwhile, ``get`` reads
        them); StaleLiveGameError otherwise."""
        ...

    async def record_answer(
        self, game_id: str, player: str, number: int, correct: bool, now: int
    ) -> AnswerOutcome:
        """``LiveGame.record_answer`` on the stored game, atomically (its errors as it
        raises them; UnknownGameError for no such game)."""
        ...

    async def add_player(self, game_id: str, player: str) -> bool:
        """``player`` (not the host) joins, atomically (many join at once): True if new,
        False if already in; UnknownGameError, GameEndedError."""
        ...

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        """Ids of the stored games, oldest first, at most ``limit``; the cursor continues
        after the last (None: no more)."""
        ...

    async def delete(self, game_id: str) -> None:
        """Remove the game's live state and its listing (its final board is kept
        elsewhere); nothing if it is gone already."""
        ...


class ConnectionRegistry(Protocol):
    """Live connections: single-use tickets, who holds each connection, and the channels
    (``global``: every connection; ``player:<username>``: the player's own, for notifications;
    ``game:<id>``: those that joined the game). Entries expire
    (``expires_at``); reads at ``now`` ignore expired ones, whenever the store deletes them.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def issue_ticket(self, ticket: str, player: str, expires_at: int) -> None: ...

    async def redeem_ticket(self, ticket: str, now: int) -> str | None:
        """The ticket's player, once: a used, expired or unknown ticket is None."""
        ...

    async def add(self, connection: Connection) -> None: ...

    async def get(self, connection_id: str, now: int) -> Connection | None: ...

    async def enter(self, connection_id: str, game_id: str, now: int) -> Connection | None:
        """The connection, now in the game's channel (and out of any other game's)."""
        ...

    async def remove(self, connection_id: str) -> Connection | None:
        """Forget the connection (gone); what it was, if known."""
        ...

    async def members(self, channel: str, now: int) -> list[Connection]:
        """The connections in ``global`` or ``game:<id>``."""
        ...


class ChatLog(Protocol):
    """Chat history per channel and each player's sending rate.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def allow(self, player: str, now: int, limit: int, window_ms: int) -> bool:
        """Atomically: whether ``player`` sent fewer than ``limit`` messages in the
        ``window_ms`` before ``now`` (and if so, count this one)."""
        ...

    async def append(self, message: ChatMessage, keep: int) -> None:
        """Add to the channel's history, keeping its last ``keep`` messages."""
        ...

    async def history(self, channel: str) -> list[ChatMessage]:
        """The channel's kept messages, oldest first."""
        ...

    async def forget(self, channel: str) -> None: ...


class ProfileStore(Protocol):
    """Player profiles and their pending avatar uploads.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def get(self, username: str) -> Profile:
        """The player's profile (an empty one for a player who never set anything)."""
        ...

    async def get_many(self, usernames: Sequence[str]) -> list[Profile]:
        """The profiles of those who have one, in one batch (a board's page at most)."""
        ...

    async def rename(self, username: str, display_name: str) -> Profile: ...

    async def add_pending(self, upload: PendingUpload, now: int, limit: int) -> bool:
        """Record the upload unless its player has ``limit`` pending ones not expired at
        ``now`` (then False)."""
        ...

    async def pending(self, key: str, now: int) -> PendingUpload | None:
        """The pending upload of the object ``key``, unless consumed or expired."""
        ...

    async def finish(
        self, upload: PendingUpload, avatar: Avatar | None
    ) -> tuple[bool, Avatar | None]:
        """Atomically consume the pending entry and, with ``avatar``, make it the player's:
        (True, the previous avatar) the first time; (False, None) when it was already
        consumed, and then nothing changed."""
        ...


class AvatarStorage(Protocol):
    """The avatars' object store: players' uploads under ``uploads/`` (sent straight to it
    through a form), the public pictures under ``avatars/``.

    Raises AvatarStoreUnavailableError when the store cannot answer.
    """

    async def upload_form(self, policy: UploadPolicy) -> UploadForm:
        """A form for one upload that the store itself holds to ``policy``."""
        ...

    async def read(self, key: str, max_bytes: int) -> StoredObject | None:
        """The object (at most ``max_bytes + 1`` of its bytes are read), None if gone."""
        ...

    async def publish(self, key: str, picture: Picture) -> None:
        """Store a picture at a public key, with its content type."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Remove the objects; nothing for those already gone."""
        ...


class ImageProcessor(Protocol):
    """Strict image decoding and re-encoding (CPU-bound: callers run it off the loop)."""

    def render(self, data: bytes, declared_type: str) -> Rendition:
        """Decode ``data`` as ``declared_type`` only, and re-encode it from its pixels (no
        metadata): the avatar and its square thumbnail. InvalidImageError (with the reason)
        for another type, a decompression bomb, a side above the limit, or bad data."""
        ...


class ImageModerator(Protocol):
    """Decides whether a picture may be shown to other players.

    Raises ModerationUnavailableError when the service cannot answer.
    """

    async def moderate(self, picture: Picture) -> Verdict: ...


class PushSubscriptionStore(Protocol):
    """Players' Web Push subscriptions, by endpoint.

    Raises TriviaStoreUnavailableError when the store cannot answer.
    """

    async def add(self, subscription: PushSubscription, keep: int) -> None:
        """Store (or replace, by endpoint) the subscription, keeping the player's newest
        ``keep``."""
        ...

    async def of(self, player: str) -> list[PushSubscription]: ...

    async def remove(self, player: str, endpoint: str) -> None:
        """Forget it; nothing if it is gone already."""
        ...


class WebPushSender(Protocol):
    """Sends a message by Web Push: encrypted for the subscription (RFC 8291) and signed
    with the server's VAPID key (RFC 8292).

    Raises PushUnavailableError when the push service does not take it now.
    """

    def public_key(self) -> str:
        """The VAPID public key (the application server key), base64url."""
        ...

    async def send(self, subscription: PushSubscription, message: str) -> bool:
        """True once the push service took it; False when it says the subscription is gone
        (404, 410: the caller forgets it)."""
        ...
