"""Trivia use cases: quiz authoring, single-player games, and the consumers of the events a
recorded play publishes (the quiz's board, the players' progress)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from domain.leaderboards.errors import (
    BoardExistsError,
    BoardNotFoundError,
    InvalidLeaderboardRequestError,
)
from domain.leaderboards.model import (
    MEMBER_KEY,
    Access,
    Page,
    Policy,
    RankedEntry,
    Reader,
    Visibility,
)
from domain.leaderboards.service import LeaderboardService, Submission
from domain.shared.events import DomainEvent
from domain.shared.idempotency import digest, run_once
from domain.shared.time import from_millis, to_millis
from domain.trivia.errors import (
    GameNotFoundError,
    ListingNotFoundError,
    ListingUnavailableError,
    LiveNotAllowedError,
    NotListingSellerError,
    NotQuizOwnerError,
    OwnListingError,
    PurchasedCopyError,
    QuizListedError,
    QuizNotFoundError,
    ResaleNotAllowedError,
    UnknownGameError,
)
from domain.trivia.live import LiveGame, Standing
from domain.trivia.market import (
    GRANT,
    Grant,
    Listing,
    checked_price,
    checked_request_token,
    coins,
)
from domain.trivia.model import (
    LeaderboardPolicy,
    Mode,
    Quiz,
    QuizContent,
    Response,
    ScoredPlay,
    answers_by_number,
    checked_quiz,
    score_play,
)
from domain.trivia.progress import (
    EXPERIENCE_EARNED,
    SCORE_RECORDED,
    ExperienceEarned,
    Progress,
    ScoreRecorded,
)
from ports.shared import Clock, EventPublisher, IdempotencyStore
from ports.trivia import Marketplace, PlayLog, ProgressStore, QuizStore, WalletStore

GAMES_PAGE = 20
MARKET_PAGE = 20
BOARD_TOP = 10
#: A live game's final board: every player of a big game fits in one page.
LIVE_RESULTS_TOP = 100
LIVE_BOARD_KEPT = timedelta(days=7)
#: A quiz's board is read by signed-in players, through the trivia API.
QUIZ_BOARD_READERS = Visibility(Access.SIGNED_IN)


def board_key(quiz_id: str) -> str:
    return f"trivia-{quiz_id}"


def board_member(player: str) -> tuple[str, dict[str, str]]:
    """A player's member key on a quiz board, and the entry's display: the username itself
    when a board can hold it, else a stable digest of it with the username as the display
    ``name`` (usernames may hold any printable character; board keys may not)."""
    if MEMBER_KEY.fullmatch(player):
        return player, {}
    return "player-" + hashlib.sha256(player.encode()).hexdigest()[:40], {"name": player}


def _as_player(ranked: RankedEntry) -> RankedEntry:
    """A board entry named by the player's username (members are usernames on the wire)."""
    name = ranked.entry.display.get("name")
    if name is None:
        return ranked
    return replace(ranked, entry=replace(ranked.entry, member=name, display={}))


def _players_page(page: Page) -> Page:
    return replace(
        page,
        entries=[_as_player(e) for e in page.entries],
        me=None if page.me is None else _as_player(page.me),
    )


def live_board_key(game_id: str) -> str:
    return f"trivia-live-{game_id}"


async def owned_quiz(quizzes: QuizStore, owner: str, quiz_id: str) -> Quiz:
    """The quiz if ``owner`` owns it: QuizNotFoundError, or NotQuizOwnerError (403)."""
    quiz = await quizzes.get(quiz_id)
    if quiz is None:
        raise QuizNotFoundError(quiz_id)
    if quiz.owner != owner:
        raise NotQuizOwnerError(quiz_id)
    return quiz


class TriviaService:
    """Quizzes belong to their author; players see games without answers and are scored
    here, never by the client."""

    def __init__(
        self,
        quizzes: QuizStore,
        plays: PlayLog,
        progress: ProgressStore,
        boards: LeaderboardService,
        events: EventPublisher,
        clock: Clock,
        market: Marketplace,
    ) -> None:
        self._quizzes = quizzes
        self._market = market
        self._plays = plays
        self._progress = progress
        self._boards = boards
        self._events = events
        self._clock = clock

    # -- authoring --------------------------------------------------------------------------

    async def create(self, owner: str, content: QuizContent) -> Quiz:
        """A new quiz of ``owner`` (InvalidQuizError names the fields that break a rule)."""
        content = checked_quiz(content)
        now = to_millis(self._clock.now())
        quiz = Quiz(uuid.uuid4().hex, owner, content, created_at=now)
        await self._quizzes.put(quiz)
        return quiz

    async def mine(self, owner: str) -> list[Quiz]:
        return await self._quizzes.by_owner(owner)

    async def owned(self, owner: str, quiz_id: str) -> Quiz:
        """The quiz, answers included, for its owner only (403 for anyone else)."""
        return await owned_quiz(self._quizzes, owner, quiz_id)

    async def update(self, owner: str, quiz_id: str, content: QuizContent) -> Quiz:
        """Replace the quiz's content: not a purchased copy (PurchasedCopyError), not while
        it is for sale (QuizListedError: a buyer gets what the listing showed)."""
        content = checked_quiz(content)
        quiz = await self.owned(owner, quiz_id)
        if quiz.source is not None:
            raise PurchasedCopyError(quiz_id)
        listing = await self._market.listing_of(quiz_id)
        if listing is not None:
            raise QuizListedError(quiz_id, listing.listing_id)
        quiz = replace(quiz, content=content)
        await self._quizzes.put(quiz)
        return quiz

    async def delete(self, owner: str, quiz_id: str) -> None:
        """Delete the quiz, withdrawing its listing first if it is for sale (copies already
        sold stay with their buyers)."""
        await self.owned(owner, quiz_id)
        listing = await self._market.listing_of(quiz_id)
        if listing is not None:
            await self._market.remove(listing)
        await self._quizzes.delete(quiz_id)

    async def activate(self, owner: str, quiz_id: str) -> Quiz:
        """List the quiz as a single-player game under its category (idempotent). A quiz of
        another mode is hosted, never listed: a player could practise it and learn its
        answers before the game."""
        quiz = await self.owned(owner, quiz_id)
        if quiz.content.mode is not Mode.SINGLE:
            raise LiveNotAllowedError(f"A {quiz.content.mode} quiz is hosted, not listed.")
        quiz = replace(quiz, active=True)
        await self._quizzes.put(quiz)
        return quiz

    # -- single player ----------------------------------------------------------------------

    async def games(
        self, category: str | None, cursor: str | None, limit: int = GAMES_PAGE
    ) -> tuple[list[Quiz], str | None]:
        # Only single-player quizzes can be activated; one activated before that rule is
        # left out here (the page may come out shorter, its cursor still goes on).
        quizzes, next_cursor = await self._quizzes.active(category or None, limit, cursor or None)
        return [q for q in quizzes if q.content.mode is Mode.SINGLE], next_cursor

    async def game(self, quiz_id: str) -> Quiz:
        """An active game (players are shown its questions without their answers)."""
        quiz = await self._quizzes.get(quiz_id)
        if quiz is None or not quiz.active or quiz.content.mode is not Mode.SINGLE:
            raise GameNotFoundError(quiz_id)
        return quiz

    async def play(
        self, player: str, quiz_id: str, responses: Sequence[Response]
    ) -> tuple[ScoredPlay, bool]:
        """Score a play server-side; also whether it is recorded (not the author's own).

        A recorded play publishes "score recorded" and "experience earned"; the board and the
        progress follow asynchronously (``record_score``, ``record_experience``).
        """
        quiz = await self.game(quiz_id)
        answers = answers_by_number(responses, len(quiz.content.questions))
        scored = score_play(quiz, player, answers)
        if player == quiz.owner:
            return scored, False
        # Decided now, not when the event arrives: late or reordered deliveries of two plays
        # cannot make the second one count as the first.
        first = await self._plays.claim_first(quiz_id, player)
        play_id = uuid.uuid4().hex
        at = to_millis(self._clock.now())
        score = ScoreRecorded(quiz_id, player, scored.score, quiz.content.policy, first, at)
        experience = ExperienceEarned(quiz_id, player, quiz.owner, scored.correct, at)
        await self._events.publish(DomainEvent(f"{play_id}:score", SCORE_RECORDED, score.payload()))
        await self._events.publish(
            DomainEvent(f"{play_id}:experience", EXPERIENCE_EARNED, experience.payload())
        )
        return scored, True

    # -- consumers (idempotent: a duplicate or reordered delivery changes nothing) ----------

    def consumers(self) -> dict[str, Callable[[DomainEvent], Awaitable[None]]]:
        """The consumer of each event a recorded play publishes, by event name."""
        return {SCORE_RECORDED: self.record_score, EXPERIENCE_EARNED: self.record_experience}

    async def record_score(self, event: DomainEvent) -> None:
        """Put a play on the quiz's board under the quiz's policy: ``best`` keeps the
        highest score, ``first`` only the play that was the player's first.
        InvalidEventError for a payload that is not a score."""
        score = ScoreRecorded.of(event.payload)
        if score.policy is LeaderboardPolicy.FIRST and not score.first:
            return
        key = board_key(score.quiz_id)
        # BoardExistsError: the quiz's policy changed since its board was made; the board's
        # policy stands (its entries were ranked under it).
        with contextlib.suppress(BoardExistsError):
            policy = Policy.FIRST if score.policy is LeaderboardPolicy.FIRST else Policy.BEST
            await self._boards.create_board(key, policy, visibility=QUIZ_BOARD_READERS)
        achieved = from_millis(score.achieved_at)
        member, display = board_member(score.player)
        await self._boards.submit(key, Submission(member, score.score, display, achieved))

    async def record_experience(self, event: DomainEvent) -> None:
        """Credit the player's experience and wins, and for a single-player play the same
        experience to the author as a royalty, each once per event. InvalidEventError for a
        payload that is not an experience event."""
        earned = ExperienceEarned.of(event.payload)
        await self._progress.credit(event.event_id, earned.player, earned.experience, earned.wins)
        if earned.author is not None:
            await self._progress.credit(event.event_id, earned.author, earned.experience, 0)

    async def record_live_game(
        self, game: LiveGame, standings: Sequence[Standing], winners: Sequence[str]
    ) -> None:
        """A live game's end: its final board (``trivia-live-<gameId>``, readable by its
        players for a week) and each player's experience and win as an experience event
        with the id ``live:<gameId>:<player>``, so a repeated end credits nobody twice. No
        royalty: the host played the author's part."""
        if not standings:
            return
        key = live_board_key(game.game_id)
        now = self._clock.now()
        # BoardExistsError: an earlier try made the board (with another expiry); it stands.
        with contextlib.suppress(BoardExistsError):
            await self._boards.create_board(
                key, Policy.BEST, now + LIVE_BOARD_KEPT, Visibility.members_of(key)
            )
        submissions = []
        for standing in standings:
            member, display = board_member(standing.player)
            submissions.append(Submission(member, standing.score, display, now))
        await self._boards.submit_many(key, submissions)
        at, won = to_millis(now), set(winners)
        for standing in standings:
            earned = ExperienceEarned(
                game.quiz_id, standing.player, None, game.correct.get(standing.player, 0), at,
                wins=1 if standing.player in won else 0,
            )  # fmt: skip
            await self._events.publish(
                DomainEvent(
                    f"live:{game.game_id}:{standing.player}", EXPERIENCE_EARNED, earned.payload()
                )
            )

    # -- reads ------------------------------------------------------------------------------

    async def live_game_over(self, game_id: str) -> bool:
        """Whether ``game_id`` was played to its end (its final board is kept)."""
        try:
            await self._boards.board(live_board_key(game_id))
        except (BoardNotFoundError, InvalidLeaderboardRequestError):
            return False
        return True

    async def live_results(self, game_id: str, me: str) -> Page:
        """A finished live game's final board, for its players only (BoardMembersOnlyError
        for anyone else; UnknownGameError while it is running or after its week)."""
        key = live_board_key(game_id)
        member = board_member(me)[0]
        try:
            mine = await self._boards.rank_of(key, member)
            reader = Reader(me, frozenset({key}) if mine is not None else frozenset())
            page = await self._boards.read_page(key, reader, LIVE_RESULTS_TOP, 0, member)
        except BoardNotFoundError:
            raise UnknownGameError(game_id) from None
        return _players_page(page)

    async def leaderboard(self, quiz_id: str, me: str) -> Page:
        """The quiz's top 10 and the caller's own entry."""
        await self.game(quiz_id)
        try:
            page = await self._boards.page(board_key(quiz_id), BOARD_TOP, 0, board_member(me)[0])
        except BoardNotFoundError:
            return Page(board_key(quiz_id), [], None, 0)  # nobody recorded yet
        return _players_page(page)

    async def progress(self, username: str) -> Progress:
        return await self._progress.get(username)


class MarketService:
    """Wallets (a daily grant, idempotent per request token) and the marketplace."""

    def __init__(
        self,
        quizzes: QuizStore,
        wallets: WalletStore,
        market: Marketplace,
        idempotency: IdempotencyStore,
        clock: Clock,
    ) -> None:
        self._quizzes = quizzes
        self._wallets = wallets
        self._market = market
        self._idempotency = idempotency
        self._clock = clock

    async def balance(self, player: str) -> Decimal:
        return await self._wallets.balance(player)

    async def grant(self, player: str, request_token: str) -> Grant:
        """Today's 200 coins (UTC day): GrantAlreadyClaimedError if the player had them; a
        retry with the same request token replays the first answer."""
        token = checked_request_token(request_token)

        async def work() -> str:
            day = self._clock.now().date().isoformat()
            balance = await self._wallets.grant(player, day, GRANT)
            return json.dumps([day, coins(GRANT), coins(balance)])

        key = digest("trivia-grant", player, token)
        day, amount, balance = json.loads(
            await run_once(self._idempotency, self._clock, key, digest(player), work)
        )
        return Grant(day, Decimal(amount), Decimal(balance))

    async def list_quiz(self, seller: str, quiz_id: str, price: Decimal) -> Listing:
        """Put one of the seller's original quizzes on sale at ``price`` (one open listing
        per quiz: QuizListedError for a second)."""
        price = checked_price(price)
        quiz = await owned_quiz(self._quizzes, seller, quiz_id)
        if quiz.source is not None:
            raise ResaleNotAllowedError(quiz_id)
        content = quiz.content
        listing = Listing(
            uuid.uuid4().hex,
            quiz_id,
            seller,
            price,
            content.name,
            content.category,
            len(content.questions),
            to_millis(self._clock.now()),
        )
        await self._market.add(listing)
        return listing

    async def listings(
        self, cursor: str | None, limit: int = MARKET_PAGE
    ) -> tuple[list[Listing], str | None]:
        return await self._market.page(limit, cursor or None)

    async def listing(self, listing_id: str) -> Listing:
        found = await self._market.get(listing_id)
        if found is None:
            raise ListingNotFoundError(listing_id)
        return found

    async def withdraw(self, seller: str, listing_id: str) -> None:
        listing = await self.listing(listing_id)
        if listing.seller != seller:
            raise NotListingSellerError(listing_id)
        await self._market.remove(listing)

    async def purchase(self, buyer: str, listing_id: str) -> tuple[Quiz, Decimal]:
        """Buy a listing: the buyer's new copy of the quiz and their balance after paying.

        ListingUnavailableError when it is sold or gone (also when another buyer wins a
        concurrent purchase), OwnListingError for the seller, InsufficientBalanceError when
        the wallet holds less than the price.
        """
        listing = await self._market.get(listing_id)
        if listing is None:
            raise ListingUnavailableError(listing_id)
        if listing.seller == buyer:
            raise OwnListingError(listing_id)
        original = await self._quizzes.get(listing.quiz_id)
        if original is None:
            raise ListingUnavailableError(listing_id)
        copy = replace(
            original,
            quiz_id=uuid.uuid4().hex,
            owner=buyer,
            active=False,
            source=original.quiz_id,
            created_at=to_millis(self._clock.now()),
        )
        balance = await self._market.purchase(listing, buyer, copy)
        return copy, balance
