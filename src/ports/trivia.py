"""Ports of the trivia context."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from domain.shared.connections import Connection
from domain.trivia.live import AnswerOutcome, ChatMessage, LiveGame
from domain.trivia.market import Listing
from domain.trivia.model import Quiz
from domain.trivia.progress import Progress


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
