"""Provisioning for ``portside init-aws``: create what the configured adapters need, if
missing, and optionally write the demo rows. Not composition: it builds no use case except
the leaderboard service that writes the demo board."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from entrypoints.composition import compose
from entrypoints.composition.clients import Clients
from entrypoints.settings import Settings

_Row = TypeVar("_Row")


def init_aws(settings: Settings, *, demo_data: bool) -> list[str]:
    """Create every table, stream and bucket the configured adapters need, if missing; with
    ``demo_data`` also write the demo rows into every configured store (tables, and Redis
    leaderboards). Returns one line per resource saying what was done."""
    clients = Clients(settings)
    try:
        report = _init_stocks(settings, clients, demo_data)
        report += _init_leaderboards(settings, clients, demo_data)
        report += _init_orders(settings, clients, demo_data)
        report += _init_races(settings, clients)
        report += _init_trivia(settings, clients, demo_data)
    finally:
        asyncio.run(clients.aclose())
    return report


def _made(what: str, created: bool) -> str:
    """A report line: ``table t: created`` or ``table t: exists``."""
    return f"{what}: {'created' if created else 'exists'}"


def _write_rows(add: Callable[[_Row], Awaitable[object]], rows: Iterable[_Row]) -> None:
    """Write demo rows one by one through an adapter's ``add`` (or ``put``)."""

    async def write() -> None:
        for row in rows:
            await add(row)

    asyncio.run(write())


def _init_stocks(settings: Settings, clients: Clients, demo_data: bool) -> list[str]:
    if not settings.stocks_table:
        return []
    from adapters.dynamodb.stocks import DynamoDBStockRepository, create_stocks_table
    from adapters.memory.stocks import DEMO_STOCKS

    table = settings.stocks_table
    report = [_made(f"table {table}", create_stocks_table(clients.dynamodb(), table))]
    if demo_data:
        _write_rows(DynamoDBStockRepository(clients.dynamodb(), table).add, DEMO_STOCKS)
        report.append(f"table {table}: {len(DEMO_STOCKS)} demo stocks written")
    return report


def _init_leaderboards(settings: Settings, clients: Clients, demo_data: bool) -> list[str]:
    report: list[str] = []
    if settings.leaderboards_table:
        from adapters.dynamodb.leaderboards import create_leaderboard_table

        table = settings.leaderboards_table
        report.append(_made(f"table {table}", create_leaderboard_table(clients.dynamodb(), table)))
    if demo_data and (settings.leaderboards_table or settings.redis_url):
        from adapters.memory.leaderboards import DEMO_BOARD, DEMO_ENTRIES
        from domain.leaderboards.service import Submission

        composition = compose(settings)
        where = f"table {settings.leaderboards_table}" if settings.leaderboards_table else "redis"

        async def write_demo_board() -> None:
            boards = composition.leaderboards
            try:
                await boards.create_board(DEMO_BOARD.key, DEMO_BOARD.policy)
                submissions = [
                    Submission(e.member, e.score, e.display, e.achieved_at) for e in DEMO_ENTRIES
                ]
                await boards.submit_many(DEMO_BOARD.key, submissions)
            finally:
                await composition.aclose()

        asyncio.run(write_demo_board())
        report.append(f"{where}: demo leaderboard {DEMO_BOARD.key} written")
    return report


def _init_trivia(settings: Settings, clients: Clients, demo_data: bool) -> list[str]:
    report = []
    if settings.avatars_bucket:
        from adapters.s3.shared import create_bucket

        created = create_bucket(clients.s3(), settings.avatars_bucket)
        report.append(_made(f"bucket {settings.avatars_bucket}", created))
    if not settings.trivia_table:
        return report
    from adapters.dynamodb.leaderboards import create_leaderboard_table
    from adapters.dynamodb.trivia import DynamoDBQuizStore
    from adapters.memory.trivia import demo_quizzes

    table = settings.trivia_table
    # The leaderboard layout (PK, SK, GSI_PK_Index): the quiz boards live here too.
    report.append(_made(f"table {table}", create_leaderboard_table(clients.dynamodb(), table)))
    if demo_data:
        _write_rows(DynamoDBQuizStore(clients.dynamodb(), table).put, demo_quizzes())
        report.append(f"table {table}: {len(demo_quizzes())} demo quizzes written")
    return report


def _init_races(settings: Settings, clients: Clients) -> list[str]:
    report: list[str] = []
    if settings.races_table:
        from adapters.dynamodb.leaderboards import create_leaderboard_table
        from adapters.dynamodb.races import enable_live_stream

        table = settings.races_table
        # The leaderboard layout (GSI_PK_Index on PK, GSI): results and class bests are
        # leaderboard boards; the live items' stream feeds publish_handler.
        report.append(_made(f"table {table}", create_leaderboard_table(clients.dynamodb(), table)))
        if enable_live_stream(clients.dynamodb(), table):
            report.append(f"table {table}: stream of new images enabled")
    if settings.races_stream:
        from adapters.kinesis.races import create_stream

        stream, shards = settings.races_stream, settings.races_stream_shards
        created = create_stream(clients.kinesis(), stream, shards)
        report.append(f"stream {stream}: {f'created ({shards} shards)' if created else 'exists'}")
    if settings.history_bucket:
        from adapters.s3.shared import create_bucket

        created = create_bucket(clients.s3(), settings.history_bucket)
        report.append(_made(f"bucket {settings.history_bucket}", created))
    return report


def _init_orders(settings: Settings, clients: Clients, demo_data: bool) -> list[str]:
    if not (settings.orders_table or settings.inventory_table or settings.idempotency_table):
        return []
    from adapters.dynamodb.orders import (
        DynamoDBInventory,
        create_inventory_table,
        create_orders_table,
    )
    from adapters.dynamodb.shared import create_idempotency_table
    from adapters.memory.orders import DEMO_CATALOGUE

    report: list[str] = []
    for table, create in (
        (settings.orders_table, create_orders_table),
        (settings.inventory_table, create_inventory_table),
        (settings.idempotency_table, create_idempotency_table),
    ):
        if table:
            report.append(_made(f"table {table}", create(clients.dynamodb(), table)))
    if demo_data and settings.inventory_table:
        _write_rows(
            DynamoDBInventory(clients.dynamodb(), settings.inventory_table).add, DEMO_CATALOGUE
        )
        report.append(f"table {settings.inventory_table}: demo catalogue written")
    return report
