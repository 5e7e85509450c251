"""In-memory trivia adapters (the embedded default and the unit-test fakes)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import replace
from decimal import Decimal
from typing import Protocol, TypeVar

from domain.shared.connections import Connection
from domain.trivia.errors import (
    GrantAlreadyClaimedError,
    InsufficientBalanceError,
    ListingUnavailableError,
    QuizListedError,
    StaleLiveGameError,
    UnknownGameError,
)
from domain.trivia.live import AnswerOutcome, ChatMessage, LiveGame
from domain.trivia.market import Listing, coins
from domain.trivia.model import (
    LeaderboardPolicy,
    Mode,
    Question,
    Quiz,
    QuizContent,
    page_cursor,
    parse_page_cursor,
)
from domain.trivia.progress import Progress

ZERO = Decimal("0.00")
DEMO_AUTHOR = "portside"


def _choice(
    text: str, options: tuple[str, ...], correct: int, follow_up: str | None = None
) -> Question:
    return Question(text, options, correct, follow_up=follow_up)


def _open(text: str, answer: str, *alternatives: str, follow_up: str | None = None) -> Question:
    return Question(text, answer=answer, alternatives=alternatives, follow_up=follow_up)


DEMO_QUIZZES = (
    QuizContent(
        "Serverless basics",
        "Lambda, queues and streams.",
        "aws",
        Mode.SINGLE,
        LeaderboardPolicy.BEST,
        (
            _choice(
                "What is the largest batch a Kinesis event source hands Lambda?",
                ("100", "1,000", "10,000"),
                2,
                "BatchSize goes up to 10,000 records.",
            ),
            _open("Which service keeps a key-value item of up to 400 KB?", "DynamoDB",
                  "Amazon DynamoDB"),
            _choice("How long may one Lambda invocation run at most, in minutes?",
                    ("5", "15", "60"), 1),
        ),
    ),
    QuizContent(
        "Capitals",
        "Where the government sits.",
        "geography",
        Mode.SINGLE,
        LeaderboardPolicy.FIRST,
        (
            _open("Capital of Australia?", "Canberra"),
            _choice("Capital of Canada?", ("Toronto", "Ottawa"), 1),
            _open("Capital of Switzerland?", "Bern", "Berne",
                  follow_up="Officially the 'federal city'."),
            _choice("Capital of Japan?", ("Kyoto", "Osaka", "Tokyo"), 2),
        ),
    ),
    QuizContent(
        "Elements",
        "The periodic table.",
        "science",
        Mode.SINGLE,
        LeaderboardPolicy.FIRST,
        (
            _open("Symbol of gold?", "Au"),
            _choice("Lightest element?", ("Helium", "Hydrogen"), 1),
        ),
    ),
)  # fmt: skip


#: The user who owns the hosted demo quizzes (``portside dev-token --user host``).
DEMO_HOST = "host"
_SHOW = (
    _choice("Which AWS service runs a container without servers to manage?",
            ("EC2", "Fargate", "Lightsail"), 1),
    _open("Which queue service keeps a message for up to 14 days?", "SQS", "Amazon SQS"),
    _choice("How many availability zones must a region have, at least?", ("2", "3", "4"), 1,
            "Every region launched since 2016 has at least three."),
    _open("Which Redis command sets a key only if it does not exist?", "SETNX", "SET NX"),
)  # fmt: skip
#: The hosted demo games, one per mode (``demo-<mode>``): hosted, never listed.
DEMO_HOSTED = {
    "demo-casual": QuizContent(
        "Cloud quiz night", "Four questions, one at a time.", "aws", Mode.CASUAL,
        LeaderboardPolicy.BEST, _SHOW,
    ),
    "demo-competitive": QuizContent(
        "Cloud quiz rounds", "Two rounds of two.", "aws", Mode.COMPETITIVE,
        LeaderboardPolicy.BEST,
        tuple(replace(q, round=1 + n // 2) for n, q in enumerate(_SHOW)),
    ),
    "demo-live": QuizContent(
        "Cloud quiz show", "The first right answer takes the point.", "aws", Mode.LIVE,
        LeaderboardPolicy.BEST, _SHOW,
    ),
}  # fmt: skip


def demo_quizzes() -> list[Quiz]:
    """The demo quizzes of the embedded default: the single-player games, active and owned
    by ``portside``, and one hosted quiz per mode, owned by ``host``."""
    games = [
        Quiz(f"demo-{i}", DEMO_AUTHOR, content, active=True, created_at=i)
        for i, content in enumerate(DEMO_QUIZZES, start=1)
    ]
    hosted = [
        Quiz(quiz_id, DEMO_HOST, content, created_at=len(games) + n)
        for n, (quiz_id, content) in enumerate(DEMO_HOSTED.items(), start=1)
    ]
    return games + hosted


class InMemoryQuizStore:
    """QuizStore in a dict (quizzes are immutable values, so no copies are needed)."""

    def __init__(self, quizzes: list[Quiz] | None = None) -> None:
        self._quizzes = {q.quiz_id: q for q in quizzes or []}
        self._lock = threading.Lock()

    async def put(self, quiz: Quiz) -> None:
        self.store(quiz)

    def store(self, quiz: Quiz) -> None:
        """``put`` without a suspension point, for a purchase made under another lock."""
        with self._lock:
            self._quizzes[quiz.quiz_id] = quiz

    async def get(self, quiz_id: str) -> Quiz | None:
        return self._quizzes.get(quiz_id)

    def __contains__(self, quiz_id: str) -> bool:
        return quiz_id in self._quizzes

    async def delete(self, quiz_id: str) -> None:
        with self._lock:
            self._quizzes.pop(quiz_id, None)

    async def by_owner(self, owner: str) -> list[Quiz]:
        with self._lock:
            mine = (q for q in self._quizzes.values() if q.owner == owner)
            return sorted(mine, key=lambda q: q.position, reverse=True)

    async def active(
        self, category: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Quiz], str | None]:
        with self._lock:
            games = [
                q
                for q in self._quizzes.values()
                if q.active and category in (None, q.content.category)
            ]
        return _newest_first(games, limit, cursor)


class _Positioned(Protocol):
    @property
    def position(self) -> tuple[int, str]: ...


_P = TypeVar("_P", bound=_Positioned)


def _newest_first(items: list[_P], limit: int, cursor: str | None) -> tuple[list[_P], str | None]:
    """A page of ``items`` newest first, after ``cursor``, and the next page's cursor."""
    ordered = sorted(items, key=lambda item: item.position, reverse=True)
    if cursor:
        after = parse_page_cursor(cursor)
        ordered = [item for item in ordered if item.position < after]
    page = ordered[:limit]
    return page, (page_cursor(page[-1].position) if len(ordered) > limit else None)


class InMemoryPlayLog:
    """PlayLog in a set."""

    def __init__(self) -> None:
        self._played: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    async def claim_first(self, quiz_id: str, player: str) -> bool:
        with self._lock:
            if (quiz_id, player) in self._played:
                return False
            self._played.add((quiz_id, player))
            return True


class InMemoryProgressStore:
    """ProgressStore in dicts, remembering the credited (event, player) pairs."""

    def __init__(self) -> None:
        self._progress: dict[str, Progress] = {}
        self._credited: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    async def credit(self, event_id: str, username: str, experience: int, wins: int) -> Progress:
        with self._lock:
            current = self._progress.get(username, Progress(username))
            if (event_id, username) in self._credited:
                return current
            self._credited.add((event_id, username))
            updated = Progress(username, current.experience + experience, current.wins + wins)
            self._progress[username] = updated
            return updated

    async def get(self, username: str) -> Progress:
        return self._progress.get(username, Progress(username))


class InMemoryWalletStore:
    """WalletStore in dicts; ``transfer`` is the purchase's payment (used by
    ``InMemoryMarketplace`` under its own lock)."""

    def __init__(self) -> None:
        self._balances: dict[str, Decimal] = {}
        self._granted: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    async def balance(self, player: str) -> Decimal:
        return self._balances.get(player, ZERO)

    async def grant(self, player: str, day: str, amount: Decimal) -> Decimal:
        with self._lock:
            if (player, day) in self._granted:
                raise GrantAlreadyClaimedError(day)
            self._granted.add((player, day))
            self._balances[player] = self._balances.get(player, ZERO) + amount
            return self._balances[player]

    def transfer(self, payer: str, payee: str, amount: Decimal) -> Decimal:
        """Move ``amount`` or nothing (InsufficientBalanceError); the payer's balance after."""
        with self._lock:
            left = self._balances.get(payer, ZERO) - amount
            if left < 0:
                raise InsufficientBalanceError(coins(amount))
            self._balances[payer] = left
            self._balances[payee] = self._balances.get(payee, ZERO) + amount
            return left


class InMemoryMarketplace:
    """Marketplace in dicts, over the in-memory quiz and wallet stores it pays and delivers
    through; a purchase runs under one lock with no suspension point, so it is atomic."""

    def __init__(self, quizzes: InMemoryQuizStore, wallets: InMemoryWalletStore) -> None:
        self._quizzes = quizzes
        self._wallets = wallets
        self._listings: dict[str, Listing] = {}
        self._by_quiz: dict[str, str] = {}
        self._lock = threading.Lock()

    async def add(self, listing: Listing) -> None:
        with self._lock:
            open_id = self._by_quiz.get(listing.quiz_id)
            if open_id is not None:
                raise QuizListedError(listing.quiz_id, open_id)
            self._listings[listing.listing_id] = listing
            self._by_quiz[listing.quiz_id] = listing.listing_id

    async def get(self, listing_id: str) -> Listing | None:
        return self._listings.get(listing_id)

    async def listing_of(self, quiz_id: str) -> Listing | None:
        with self._lock:
            listing_id = self._by_quiz.get(quiz_id)
            return None if listing_id is None else self._listings[listing_id]

    async def page(self, limit: int, cursor: str | None) -> tuple[list[Listing], str | None]:
        with self._lock:
            listings = list(self._listings.values())
        return _newest_first(listings, limit, cursor)

    async def remove(self, listing: Listing) -> None:
        with self._lock:
            self._drop(listing)

    async def purchase(self, listing: Listing, buyer: str, copy: Quiz) -> Decimal:
        with self._lock:
            if self._listings.get(listing.listing_id) != listing or listing.quiz_id not in (
                self._quizzes
            ):
                raise ListingUnavailableError(listing.listing_id)
            balance = self._wallets.transfer(buyer, listing.seller, listing.price)
            self._drop(listing)
            self._quizzes.store(copy)
            return balance

    def _drop(self, listing: Listing) -> None:
        if self._listings.pop(listing.listing_id, None) is not None:
            del self._by_quiz[listing.quiz_id]


def _live_copy(game: LiveGame) -> LiveGame:
    """An independent copy (the quiz content is frozen, so it is shared)."""
    return replace(
        game,
        players=list(game.players),
        scores=dict(game.scores),
        correct=dict(game.correct),
        answered={a for a in game.answered if a[0] in game.open_numbers},  # the open ones
        first_correct=dict(game.first_correct),
    )


class InMemoryLiveGameStore:
    """LiveGameStore in a dict of one process (the embedded default; the Lambda handlers
    refuse it, since each invocation may be another process). Answers take the lock."""

    def __init__(self) -> None:
        self._games: dict[str, LiveGame] = {}
        self._lock = threading.Lock()

    async def create(self, game: LiveGame) -> None:
        with self._lock:
            self._games[game.game_id] = _live_copy(game)

    async def get(self, game_id: str) -> LiveGame | None:
        with self._lock:
            game = self._games.get(game_id)
            return None if game is None else _live_copy(game)

    async def save(self, game: LiveGame) -> LiveGame:
        with self._lock:
            stored = self._games.get(game.game_id)
            if stored is None:
                raise UnknownGameError(game.game_id)
            if stored.version != game.version:
                raise StaleLiveGameError(f"live game {game.game_id} changed")
            saved = replace(_live_copy(game), version=game.version + 1)
            self._games[game.game_id] = saved
            return _live_copy(saved)

    async def record_answer(
        self, game_id: str, player: str, number: int, correct: bool, now: int
    ) -> AnswerOutcome:
        with self._lock:
            game = self._games.get(game_id)
            if game is None:
                raise UnknownGameError(game_id)
            outcome = game.record_answer(player, number, correct, now)
            game.version += 1
            return outcome

    async def add_player(self, game_id: str, player: str) -> bool:
        with self._lock:
            game = self._games.get(game_id)
            if game is None:
                raise UnknownGameError(game_id)
            known = player in game.scores
            game.join(player, 0)
            if not known:
                game.version += 1
            return not known

    async def listed(self, limit: int, cursor: str | None) -> tuple[list[str], str | None]:
        with self._lock:
            ids = list(self._games)  # insertion order: by when they were hosted
        start = ids.index(cursor) + 1 if cursor in ids else 0
        page = ids[start : start + limit]
        return page, page[-1] if start + limit < len(ids) else None

    async def delete(self, game_id: str) -> None:
        with self._lock:
            self._games.pop(game_id, None)


class InMemoryConnectionRegistry:
    """ConnectionRegistry of one process (tickets, connections, the channels)."""

    def __init__(self) -> None:
        self._tickets: dict[str, tuple[str, int]] = {}
        self._connections: dict[str, Connection] = {}
        self._games: dict[str, dict[str, None]] = {}  # game -> its connections, in order

    async def issue_ticket(self, ticket: str, player: str, expires_at: int) -> None:
        self._tickets[ticket] = (player, expires_at)

    async def redeem_ticket(self, ticket: str, now: int) -> str | None:
        for stale in [t for t, (_, expires) in self._tickets.items() if expires <= now]:
            del self._tickets[stale]  # bounded: tickets live 30 s
        player, _ = self._tickets.pop(ticket, (None, 0))
        return player

    async def add(self, connection: Connection) -> None:
        self._connections[connection.connection_id] = connection

    async def get(self, connection_id: str, now: int) -> Connection | None:
        connection = self._connections.get(connection_id)
        return connection if connection is not None and connection.expires_at > now else None

    async def enter(self, connection_id: str, game_id: str, now: int) -> Connection | None:
        connection = await self.get(connection_id, now)
        if connection is None:
            return None
        self._leave(connection)
        entered = replace(connection, game_id=game_id)
        self._connections[connection_id] = entered
        self._games.setdefault(game_id, {})[connection_id] = None
        return entered

    async def remove(self, connection_id: str) -> Connection | None:
        connection = self._connections.pop(connection_id, None)
        if connection is not None:
            self._leave(connection)
        return connection

    async def members(self, channel: str, now: int) -> list[Connection]:
        if channel == "global":
            found = list(self._connections.values())
        elif channel.startswith("player:"):
            player = channel.removeprefix("player:")
            found = [c for c in self._connections.values() if c.player == player]
        else:
            ids = self._games.get(channel.removeprefix("game:"), {})
            found = [self._connections[i] for i in ids]
        return [c for c in found if c.expires_at > now]

    def _leave(self, connection: Connection) -> None:
        if connection.game_id is not None:
            members = self._games.get(connection.game_id, {})
            members.pop(connection.connection_id, None)
            if not members:
                self._games.pop(connection.game_id, None)


#: Hands a frame to one connection without waiting; False when it cannot take it (gone).
class InMemoryChatLog:
    """ChatLog of one process."""

    def __init__(self) -> None:
        self._history: dict[str, deque[ChatMessage]] = {}
        self._sent: dict[str, deque[int]] = {}

    async def allow(self, player: str, now: int, limit: int, window_ms: int) -> bool:
        sent = self._sent.setdefault(player, deque())
        while sent and sent[0] <= now - window_ms:
            sent.popleft()
        if len(sent) >= limit:
            return False
        sent.append(now)
        return True

    async def append(self, message: ChatMessage, keep: int) -> None:
        history = self._history.setdefault(message.channel, deque(maxlen=keep))
        history.append(message)

    async def history(self, channel: str) -> list[ChatMessage]:
        return list(self._history.get(channel, ()))

    async def forget(self, channel: str) -> None:
        self._history.pop(channel, None)
