"""LeaderboardStore contract, run against every adapter: in memory, real Redis, DynamoDB (moto).

Concurrency cases run from threads, each with its own event loop and its own client (for the
in-memory store, the same instance), so submissions really race as they would from several
processes.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from domain.leaderboards.errors import (
    BoardExistsError,
    BoardMembersOnlyError,
    BoardNotFoundError,
    BoardSignInRequiredError,
    InvalidLeaderboardRequestError,
    MemberNotFoundError,
)
from domain.leaderboards.model import ANONYMOUS, Access, Policy, RankedEntry, Reader, Visibility
from domain.leaderboards.service import LeaderboardService, Submission
from ports.leaderboards import LeaderboardStore
from tests.support.fakes import ManualClock
from tests.support.services import dynamodb_client

T = TypeVar("T")
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Backend:
    """Opens store handles onto one shared backing store; closes what it opened."""

    name: str
    open: Callable[[], tuple[LeaderboardStore, Callable[[], Coroutine[Any, Any, None]]]]
    #: The size of the large-board cases this backend can afford (see the DynamoDB cost notes).
    large: int
    #: Store a BEST board as a version before board visibility stored it (none in memory).
    write_legacy_board: Callable[[str], None] | None = None

    def run(self, work: Callable[[LeaderboardService], Coroutine[Any, Any, T]]) -> T:
        """Run ``work`` on a fresh handle in this thread's own event loop."""

        async def main() -> T:
            store, close = self.open()
            try:
                return await work(LeaderboardService(store, ManualClock(START)))
            finally:
                await close()

        return asyncio.run(main())

    def run_in_threads(
        self, jobs: list[Callable[[LeaderboardService], Coroutine[Any, Any, T]]], threads: int
    ) -> list[T]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.run, jobs))


async def _nothing() -> None:
    return None


@pytest.fixture(scope="module", params=["memory", "redis", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        shared = InMemoryLeaderboardStore()
        yield Backend("memory", lambda: (shared, _nothing), large=100_000)
        return
    if request.param == "redis":
        from redis.asyncio import Redis

        from adapters.redis.leaderboards import RedisLeaderboardStore

        server = request.getfixturevalue("redis_server")
        url = f"redis://127.0.0.1:{server.port}/0"

        def open_redis() -> tuple[LeaderboardStore, Callable[[], Coroutine[Any, Any, None]]]:
            client = Redis.from_url(url)
            return RedisLeaderboardStore(client), client.aclose

        def legacy_redis_board(key: str) -> None:
            from redis import Redis as BlockingRedis

            with BlockingRedis.from_url(url) as raw:
                raw.hset(f"lb:{{{key}}}:meta", mapping={"policy": "BEST", "expires": ""})

        yield Backend("redis", open_redis, large=100_000, write_legacy_board=legacy_redis_board)
        return
    from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore, create_leaderboard_table

    env = request.getfixturevalue("aws_env")
    table = f"leaderboards-{uuid.uuid4().hex[:8]}"

    def client() -> Any:
        return dynamodb_client(env)

    create_leaderboard_table(client(), table)

    # 1,000 members: moto deep-copies the whole table for every TransactWriteItems (each new
    # member is one), so a new member costs ~23 ms at 500 items and ~106 ms at 2,000 here;
    # on AWS the cost does not grow with the table.
    def legacy_dynamodb_board(key: str) -> None:
        item = {"PK": {"S": key}, "SK": {"S": "#board"}, "policy": {"S": "BEST"}}
        client().put_item(TableName=table, Item={**item, "total": {"N": "0"}})

    yield Backend(
        "dynamodb",
        lambda: (DynamoDBLeaderboardStore(client(), table), _nothing),
        large=1_000,
        write_legacy_board=legacy_dynamodb_board,
    )


@pytest.fixture
def board_key() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def brief(entries: list[RankedEntry]) -> list[tuple[int, str, str]]:
    return [(r.rank, r.entry.member, format(r.entry.score, "f")) for r in entries]


def expected_ranks(scores: dict[str, tuple[Decimal, datetime]]) -> list[tuple[int, str, str]]:
    """Competition ranking by brute force: the reference the adapters must agree with."""
    order = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    out: list[tuple[int, str, str]] = []
    for position, (member, (score, _)) in enumerate(order, start=1):
        rank = out[-1][0] if out and Decimal(out[-1][2]) == score else position
        out.append((rank, member, format(score.quantize(Decimal("0.01")), "f")))
    return out


# -- boards ---------------------------------------------------------------------------------


def test_boards_are_created_once_and_unknown_boards_are_not_found(
    backend: Backend, board_key: str
) -> None:
    async def work(svc: LeaderboardService) -> None:
        first = await svc.create_board(board_key, Policy.BEST)
        assert await svc.create_board(board_key, Policy.BEST) == first
        with pytest.raises(BoardExistsError):
            await svc.create_board(board_key, Policy.LATEST)
        assert await svc.count(board_key) == 0
        for call in (
            svc.count("no-such-board"),
            svc.page("no-such-board"),
            svc.rank_of("no-such-board", "ada"),
            svc.submit("no-such-board", Submission("ada", "1")),
        ):
            with pytest.raises(BoardNotFoundError):
                await call

    backend.run(work)


def test_a_boards_visibility_is_stored_with_it_and_governs_outside_readers(
    backend: Backend, board_key: str
) -> None:
    signed_in, game = f"{board_key}-s", f"{board_key}-g"
    ann, in_game = Reader("ann"), Reader("bob", frozenset({"game-1"}))

    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)  # public, as every board before
        await svc.create_board(signed_in, Policy.BEST, visibility=Visibility(Access.SIGNED_IN))
        await svc.create_board(game, Policy.BEST, visibility=Visibility.members_of("game-1"))
        assert (await svc.board(game)).visibility == Visibility(Access.MEMBERS, "game-1")
        assert (await svc.board(signed_in)).visibility.access is Access.SIGNED_IN
        with pytest.raises(BoardExistsError):  # the same key with other readers
            await svc.create_board(signed_in, Policy.BEST)
        for key, reader, admitted in [
            (board_key, ANONYMOUS, True),
            (signed_in, ANONYMOUS, False),
            (signed_in, ann, True),
            (game, ANONYMOUS, False),
            (game, ann, False),
            (game, in_game, True),
        ]:
            if admitted:
                assert (await svc.read_page(key, reader)).total == 0
                continue
            error = BoardSignInRequiredError if reader.user is None else BoardMembersOnlyError
            with pytest.raises(error):
                await svc.read_page(key, reader)

    backend.run(work)


# The in-memory store has no boards from an earlier version.
@pytest.mark.parametrize("backend", ["redis", "dynamodb"], indirect=True)
def test_a_board_stored_before_visibility_takes_the_readers_it_is_next_created_with(
    backend: Backend, board_key: str
) -> None:
    assert backend.write_legacy_board is not None
    backend.write_legacy_board(board_key)

    async def work(svc: LeaderboardService) -> None:
        assert (await svc.board(board_key)).visibility.access is Access.PUBLIC  # as it was
        signed_in = Visibility(Access.SIGNED_IN)
        board = await svc.create_board(board_key, Policy.BEST, visibility=signed_in)
        assert board.visibility == (await svc.board(board_key)).visibility == signed_in
        with pytest.raises(BoardSignInRequiredError):
            await svc.read_page(board_key, ANONYMOUS)

    backend.run(work)


def test_expired_boards_are_gone(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        real_now = datetime.now(UTC)
        clock = ManualClock(real_now)
        svc = LeaderboardService(svc._store, clock)
        await svc.create_board(board_key, Policy.BEST, expires_at=real_now + timedelta(hours=1))
        await svc.submit(board_key, Submission("ada", "5"))
        assert await svc.count(board_key) == 1
        clock.advance(timedelta(hours=1))
        with pytest.raises(BoardNotFoundError):
            await svc.page(board_key)

    backend.run(work)


# -- ranking ----------------------------------------------------------------------------------


def test_ties_share_a_rank_and_the_earlier_achievement_comes_first(
    backend: Backend, board_key: str
) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        await svc.submit_many(
            board_key,
            [
                Submission("dave", "70", achieved_at=at(4)),
                Submission("bob", "90", achieved_at=at(5)),
                Submission("carol", "90", achieved_at=at(2)),
                Submission("ada", "100", achieved_at=at(9)),
                Submission("erin", "70", achieved_at=at(1)),
            ],
        )
        assert brief(await svc.top(board_key)) == [
            (1, "ada", "100.00"),
            (2, "carol", "90.00"),
            (2, "bob", "90.00"),
            (4, "erin", "70.00"),
            (4, "dave", "70.00"),
        ]
        top = await svc.rank_of(board_key, "ada")
        assert top is not None
        assert top.rank == 1
        # A page starting inside a tie group keeps the group's rank.
        assert brief(await svc.top(board_key, limit=2, offset=2)) == [
            (2, "bob", "90.00"),
            (4, "erin", "70.00"),
        ]
        assert brief(await svc.top(board_key, limit=5, offset=4)) == [(4, "dave", "70.00")]
        assert await svc.top(board_key, limit=5, offset=5) == []
        assert await svc.rank_of(board_key, "zed") is None

    backend.run(work)


def test_top_n_plus_me_in_one_call(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        await svc.submit_many(
            board_key,
            [Submission(f"p{i:02d}", str(100 - i), achieved_at=at(i)) for i in range(30)],
        )
        page = await svc.page(board_key, limit=10, member="p25")
        assert [e.rank for e in page.entries] == list(range(1, 11))
        assert page.me is not None
        assert (page.me.rank, page.me.entry.member, page.total) == (26, "p25", 30)
        outside = await svc.page(board_key, limit=3, member="nobody")
        assert outside.me is None
        assert outside.total == 30

    backend.run(work)


def test_around_a_member_at_the_edges(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        await svc.submit_many(
            board_key, [Submission(f"m{i}", str(10 * (5 - i)), achieved_at=at(i)) for i in range(5)]
        )
        assert [r.entry.member for r in await svc.around(board_key, "m0", 2)] == ["m0", "m1", "m2"]
        assert [r.rank for r in await svc.around(board_key, "m4", 2)] == [3, 4, 5]
        assert brief(await svc.around(board_key, "m2", 1)) == [
            (2, "m1", "40.00"),
            (3, "m2", "30.00"),
            (4, "m3", "20.00"),
        ]
        assert brief(await svc.around(board_key, "m2", 0)) == [(3, "m2", "30.00")]
        with pytest.raises(MemberNotFoundError):
            await svc.around(board_key, "nobody", 2)

    backend.run(work)


def test_limits_are_validated_not_clamped(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        for call in (
            svc.page(board_key, limit=1001),
            svc.page(board_key, limit=0),
            svc.page(board_key, offset=-1),
            svc.around(board_key, "x", 101),
            svc.submit(board_key, Submission("ada", "1.005")),
            svc.submit(board_key, Submission("ada", "1000000000000")),
            svc.submit(board_key, Submission("bad member!", "1")),
        ):
            with pytest.raises(InvalidLeaderboardRequestError):
                await call
        assert await svc.count(board_key) == 0

    backend.run(work)


def test_scores_display_and_times_come_back_exactly(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.LATEST)
        moment = datetime(2026, 11, 20, 9, 0, 1, 123000, tzinfo=UTC)
        for score in ("999999999999.99", "-999999999999.99", "0.01", "0"):
            result = await svc.submit(
                board_key,
                Submission(
                    "ada", score, {"name": "Ada L.", "avatarUrl": "https://x/a.png"}, moment
                ),
            )
            assert format(result.entry.score, "f") == format(
                Decimal(score).quantize(Decimal("0.01")), "f"
            )
            mine = await svc.rank_of(board_key, "ada")
            assert mine is not None
            assert mine.entry == result.entry
            assert mine.entry.achieved_at == moment
            assert dict(mine.entry.display) == {"name": "Ada L.", "avatarUrl": "https://x/a.png"}

    backend.run(work)


# -- policies ---------------------------------------------------------------------------------


def test_best_keeps_the_higher_score(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        assert (await svc.submit(board_key, Submission("ada", "50", achieved_at=at(1)))).changed
        assert not (await svc.submit(board_key, Submission("ada", "40", achieved_at=at(2)))).changed
        same = await svc.submit(board_key, Submission("ada", "50", achieved_at=at(3)))
        assert not same.changed
        assert same.entry.achieved_at == at(1)  # an equal score keeps the earlier achievement
        higher = await svc.submit(board_key, Submission("ada", "60.5", achieved_at=at(4)))
        assert higher.changed
        assert brief(await svc.top(board_key)) == [(1, "ada", "60.50")]

    backend.run(work)


def test_latest_overwrites_even_with_a_lower_score(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.LATEST)
        await svc.submit(board_key, Submission("ada", "50", achieved_at=at(1)))
        assert (await svc.submit(board_key, Submission("ada", "10", achieved_at=at(2)))).changed
        again = await svc.submit(board_key, Submission("ada", "10", achieved_at=at(2)))
        assert not again.changed
        assert brief(await svc.top(board_key)) == [(1, "ada", "10.00")]
        assert await svc.count(board_key) == 1

    backend.run(work)


def test_first_keeps_only_the_first_submission(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.FIRST)
        assert (await svc.submit(board_key, Submission("ada", "10", achieved_at=at(1)))).changed
        later = await svc.submit(board_key, Submission("ada", "99", achieved_at=at(2)))
        assert not later.changed
        assert format(later.entry.score, "f") == "10.00"

    backend.run(work)


def test_increment_adds_and_keeps_the_display(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.INCREMENT)
        await svc.submit(board_key, Submission("ada", "1.25", {"name": "Ada"}, at(1)))
        await svc.submit(board_key, Submission("ada", "2.50", achieved_at=at(2)))
        assert not (await svc.submit(board_key, Submission("ada", "0", achieved_at=at(3)))).changed
        result = await svc.submit(board_key, Submission("ada", "-0.75", achieved_at=at(4)))
        assert result.changed
        assert format(result.entry.score, "f") == "3.00"
        assert dict(result.entry.display) == {"name": "Ada"}

    backend.run(work)


def test_remove_takes_a_member_off_the_board(backend: Backend, board_key: str) -> None:
    async def work(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        await svc.submit_many(board_key, [Submission("ada", "3"), Submission("bob", "2")])
        assert await svc.remove(board_key, "ada")
        assert not await svc.remove(board_key, "ada")
        assert await svc.count(board_key) == 1
        assert brief(await svc.top(board_key)) == [(1, "bob", "2.00")]
        assert await svc.rank_of(board_key, "ada") is None

    backend.run(work)


# -- concurrency ------------------------------------------------------------------------------


def test_50_concurrent_first_submissions_leave_exactly_one(
    backend: Backend, board_key: str
) -> None:
    backend.run(lambda svc: svc.create_board(board_key, Policy.FIRST))

    def job(i: int) -> Callable[[LeaderboardService], Coroutine[Any, Any, bool]]:
        async def submit(svc: LeaderboardService) -> bool:
            result = await svc.submit(board_key, Submission("ada", str(i), achieved_at=at(i)))
            return result.changed

        return submit

    changed = backend.run_in_threads([job(i) for i in range(50)], threads=25)
    assert changed.count(True) == 1
    winner = changed.index(True)

    async def check(svc: LeaderboardService) -> None:
        assert await svc.count(board_key) == 1
        assert brief(await svc.top(board_key)) == [(1, "ada", f"{winner}.00")]

    backend.run(check)


def test_concurrent_best_submissions_keep_the_maximum(backend: Backend, board_key: str) -> None:
    backend.run(lambda svc: svc.create_board(board_key, Policy.BEST))
    scores = [Decimal(random.randint(0, 10_000)) / 100 for _ in range(64)]

    def job(chunk: list[Decimal]) -> Callable[[LeaderboardService], Coroutine[Any, Any, None]]:
        async def submit(svc: LeaderboardService) -> None:
            for score in chunk:
                await svc.submit(board_key, Submission("ada", score))

        return submit

    backend.run_in_threads([job(scores[i::8]) for i in range(8)], threads=8)
    top = backend.run(lambda svc: svc.top(board_key))
    assert brief(top) == [(1, "ada", format(max(scores).quantize(Decimal("0.01")), "f"))]


def test_increment_from_8_threads_sums_exactly(backend: Backend, board_key: str) -> None:
    backend.run(lambda svc: svc.create_board(board_key, Policy.INCREMENT))

    async def add(svc: LeaderboardService) -> None:
        for _ in range(25):
            await svc.submit(board_key, Submission("ada", "1.25"))

    backend.run_in_threads([add] * 8, threads=8)
    assert brief(backend.run(lambda svc: svc.top(board_key))) == [(1, "ada", "250.00")]


# -- a large board ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_large_board_ranks_correctly_at_the_edges(backend: Backend, board_key: str) -> None:
    n = backend.large
    # Groups of 7 equal scores, so ties span page boundaries; achievement times shuffled.
    times = list(range(n))
    random.Random(7).shuffle(times)
    scores = {f"u{i:06d}": (Decimal(n - i // 7) / 4, at(times[i] / 60)) for i in range(n)}
    truth = expected_ranks(scores)

    async def load(svc: LeaderboardService) -> None:
        await svc.create_board(board_key, Policy.BEST)
        items = list(scores.items())
        for i in range(0, n, 1000):
            batch = [Submission(m, s, achieved_at=t) for m, (s, t) in items[i : i + 1000]]
            await svc.submit_many(board_key, batch)

    backend.run(load)

    async def check(svc: LeaderboardService) -> None:
        assert await svc.count(board_key) == n
        assert brief(await svc.top(board_key, limit=10)) == truth[:10]
        assert brief(await svc.top(board_key, limit=10, offset=10)) == truth[10:20]
        tail = await svc.top(board_key, limit=10, offset=n - 5)
        assert brief(tail) == truth[n - 5 :]
        first, last = truth[0][1], truth[-1][1]
        mine = await svc.rank_of(board_key, first)
        assert mine is not None
        assert mine.rank == 1
        mine = await svc.rank_of(board_key, last)
        assert mine is not None
        assert mine.rank == truth[-1][0]
        assert brief(await svc.around(board_key, first, 3)) == truth[:4]
        assert brief(await svc.around(board_key, last, 3)) == truth[-4:]
        middle = truth[n // 2][1]
        assert brief(await svc.around(board_key, middle, 4)) == truth[n // 2 - 4 : n // 2 + 5]
        page = await svc.page(board_key, limit=10, member=last)
        assert page.me is not None
        assert page.me.rank == truth[-1][0]

    backend.run(check)
