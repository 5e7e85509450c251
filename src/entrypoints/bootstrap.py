"""The composition root: settings -> clients -> adapters -> use cases.

Adapters are chosen by configuration, one rule for every port: its table (or URL) set -> the
AWS (or HTTP) adapter; else ``REDIS_URL`` set and the port has a Redis adapter -> Redis; else
in-memory with demo data. The stocks rates cache wraps the rates provider whenever
``REDIS_URL`` is set. Modules of unselected adapters are never imported, so a Lambda on the
embedded default loads no boto3, redis or httpx. Clients are built once and shared.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.memory.leaderboards import DEMO_BOARD, DEMO_ENTRIES, InMemoryLeaderboardStore
from adapters.memory.orders import (
    DEMO_CATALOGUE,
    InMemoryInventory,
    InMemoryOrderStore,
    InMemoryPaymentGateway,
)
from adapters.memory.races import (
    InMemoryCheckpoints,
    InMemoryHistoryStore,
    InMemoryLiveNotifier,
    InMemoryRaceStore,
)
from adapters.memory.shared import (
    InMemoryDeadLetters,
    InMemoryEventBus,
    InMemoryEventPublisher,
    InMemoryIdempotencyStore,
)
from adapters.memory.stocks import (
    DEMO_RATES,
    DEMO_STOCKS,
    FixedRatesProvider,
    InMemoryStockRepository,
)
from adapters.memory.trivia import (
    InMemoryMarketplace,
    InMemoryPlayLog,
    InMemoryProgressStore,
    InMemoryQuizStore,
    InMemoryWalletStore,
    demo_quizzes,
)
from adapters.system.shared import SystemClock
from domain.leaderboards.service import LeaderboardService, Submission
from domain.orders.saga import InProcessOrchestrator, OrderSaga
from domain.orders.service import OrderService
from domain.races.model import RaceRules
from domain.races.service import RaceService
from domain.stocks.errors import InvalidStockRequestError
from domain.stocks.service import StockValuationService
from domain.trivia.service import MarketService, TriviaService
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings
from ports.leaderboards import LeaderboardStore
from ports.orders import Inventory, OrderStore, PaymentGateway, SagaOrchestrator
from ports.races import (
    ArchiveReader,
    Checkpoints,
    HistoryStore,
    LiveNotifier,
    RaceStore,
    StreamProducer,
    StreamReader,
)
from ports.shared import DeadLetters, EventPublisher, IdempotencyStore
from ports.stocks import RatesProvider, StockRepository
from ports.trivia import (
    Marketplace,
    PlayLog,
    ProgressStore,
    QuizStore,
    TokenVerifier,
    WalletStore,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sns.client import SNSClient
    from redis.asyncio import Redis

    from adapters.jwt.trivia import DevIdentityProvider

#: Connections per process to Redis; requests beyond it wait (at most 1 s) for a free one.
REDIS_MAX_CONNECTIONS = 32


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A dependency probe for ``/readyz``; a failing optional one only degrades the service."""

    name: str
    probe: Callable[[], Awaitable[object]]
    required: bool = True


@dataclass(slots=True)
class Services:
    """Everything the entrypoints need, built once per process."""

    settings: Settings
    stocks: StockValuationService
    leaderboards: LeaderboardService
    orders: OrderService
    order_saga: OrderSaga
    races: RaceService
    dead_letters: DeadLetters
    trivia: TriviaService
    #: Wallets and the quiz marketplace.
    market: MarketService
    #: Verifies bearer tokens for the trivia routes (the JWKS of AUTH_JWKS_URL, else the
    #: embedded development identity provider).
    tokens: TokenVerifier
    #: The race stream (``RACES_STREAM``); None on the embedded default, where device
    #: messages are aggregated in-process as they are posted.
    race_stream: StreamProducer | None = None
    #: The development identity provider (its key in AUTH_DEV_KEY_FILE), built on first
    #: use; None when a real issuer is configured.
    dev_identity: Callable[[], DevIdentityProvider] | None = None
    readiness: list[ReadinessCheck] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    async def aclose(self) -> None:
        """Close every client the composition root opened."""
        for close in reversed(self.closers):
            await close()


class _Clients:
    """Vendor clients, each built on first use and then shared by every adapter."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._dynamodb: DynamoDBClient | None = None
        self._redis: Redis | None = None
        self._sns: SNSClient | None = None
        self.closers: list[Callable[[], Awaitable[object]]] = []

    def dynamodb(self) -> DynamoDBClient:
        if self._dynamodb is None:
            self._dynamodb = dynamodb_client(self._settings)
        return self._dynamodb

    def sns(self) -> SNSClient:
        if self._sns is None:
            self._sns = aws_client("sns", self._settings)
        return self._sns

    def redis(self) -> Redis:
        if self._redis is None:
            assert self._settings.redis_url
            self._redis = redis_client(self._settings.redis_url)
            self.closers.append(self._redis.aclose)
        return self._redis


def load_settings() -> Settings:
    """Read the environment; the one place that does."""
    return Settings.from_env(os.environ)


def bootstrap(
    settings: Settings | None = None,
    *,
    stock_repository: StockRepository | None = None,
    rates_provider: RatesProvider | None = None,
    leaderboard_store: LeaderboardStore | None = None,
    payment_gateway: PaymentGateway | None = None,
    saga_orchestrator: SagaOrchestrator | None = None,
) -> Services:
    """Build the services from settings (read from the environment when not given).

    Keyword overrides replace the configured adapter of a port (for tests and embedding).
    """
    settings = settings if settings is not None else load_settings()
    configure_logging(settings.log_level)
    clients = _Clients(settings)
    readiness: list[ReadinessCheck] = []

    if stock_repository is None:
        stock_repository = _stock_repository(settings, clients, readiness)
    if rates_provider is None:
        rates_provider = _rates_provider(settings, clients)
    if leaderboard_store is None:
        leaderboard_store = _leaderboard_store(settings, clients, readiness)
    if settings.redis_url:
        # Redis is optional while it only caches rates (down -> rates come straight from the
        # provider), required once it holds leaderboards.
        redis = clients.redis()
        required = not settings.leaderboards_table
        readiness.append(ReadinessCheck("redis", redis.ping, required=required))

    try:
        stocks = StockValuationService(stock_repository, rates_provider, settings.stock_currencies)
    except InvalidStockRequestError as exc:
        raise ConfigurationError(f"STOCK_CURRENCIES: {exc.detail}") from exc
    clock = SystemClock()
    leaderboards = LeaderboardService(leaderboard_store, clock)
    dead_letters: DeadLetters = InMemoryDeadLetters()
    if settings.dead_letter_queue_url:
        from adapters.sqs.shared import SQSDeadLetters

        dead_letters = SQSDeadLetters(aws_client("sqs", settings), settings.dead_letter_queue_url)
    idempotency = _idempotency_store(settings, clients, readiness)
    orders, saga = _orders(
        settings,
        clients,
        readiness,
        clock,
        dead_letters,
        idempotency,
        payment_gateway,
        saga_orchestrator,
    )
    races, stream = _races(settings, clients, readiness, clock, leaderboards)
    trivia, market = _trivia(
        settings, clients, readiness, clock, leaderboards, dead_letters, idempotency
    )
    tokens, dev = _identity(settings, clients)
    return Services(
        settings,
        stocks,
        leaderboards,
        orders,
        saga,
        races,
        dead_letters,
        trivia,
        market,
        tokens,
        stream,
        dev,
        readiness,
        clients.closers,
    )


def _trivia(
    settings: Settings,
    clients: _Clients,
    readiness: list[ReadinessCheck],
    clock: SystemClock,
    leaderboards: LeaderboardService,
    dead_letters: DeadLetters,
    idempotency: IdempotencyStore,
) -> tuple[TriviaService, MarketService]:
    """Trivia's stores (``TRIVIA_TABLE``, which also holds the quiz boards, so that consumers
    in other processes write where the server reads; else memory with demo quizzes and the
    shared leaderboard store) and its events:
    on ``TRIVIA_TOPIC_ARN`` for the Lambda or container consumers, else on an in-process bus
    whose subscribers are the service's own consumers."""
    quizzes: QuizStore
    plays: PlayLog
    progress: ProgressStore
    wallets: WalletStore
    market: Marketplace
    boards = leaderboards
    if settings.trivia_table:
        from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore
        from adapters.dynamodb.trivia import (
            DynamoDBMarketplace,
            DynamoDBPlayLog,
            DynamoDBProgressStore,
            DynamoDBQuizStore,
            DynamoDBWalletStore,
        )

        table, dynamodb = settings.trivia_table, clients.dynamodb()
        readiness.append(_table_check("triviaTable", dynamodb, table))
        quizzes = DynamoDBQuizStore(dynamodb, table)
        plays, progress = DynamoDBPlayLog(dynamodb, table), DynamoDBProgressStore(dynamodb, table)
        wallets, market = DynamoDBWalletStore(dynamodb, table), DynamoDBMarketplace(dynamodb, table)
        boards = LeaderboardService(DynamoDBLeaderboardStore(dynamodb, table), clock)
    else:
        memory_quizzes, memory_wallets = InMemoryQuizStore(demo_quizzes()), InMemoryWalletStore()
        quizzes, wallets = memory_quizzes, memory_wallets
        market = InMemoryMarketplace(memory_quizzes, memory_wallets)
        plays, progress = InMemoryPlayLog(), InMemoryProgressStore()
    events: EventPublisher
    bus: InMemoryEventBus | None = None
    if settings.trivia_topic_arn:
        from adapters.sns.shared import SNSEventPublisher

        events = SNSEventPublisher(clients.sns(), settings.trivia_topic_arn)
    else:
        events = bus = InMemoryEventBus(dead_letters)
    trivia = TriviaService(quizzes, plays, progress, boards, events, clock, market)
    if bus is not None:
        for name, consumer in trivia.consumers().items():
            bus.subscribe(name, consumer)
    return trivia, MarketService(quizzes, wallets, market, idempotency, clock)


class _FirstUseTokenVerifier:
    """Builds the real verifier on the first token, so routes that need no identity (and
    every Lambda cold start) do not pay for importing the JWT and crypto libraries."""

    def __init__(self, build: Callable[[], TokenVerifier]) -> None:
        self._build = build
        self._verifier: TokenVerifier | None = None

    async def verify(self, token: str) -> str:
        if self._verifier is None:
            self._verifier = self._build()
        return await self._verifier.verify(token)


def _identity(
    settings: Settings, clients: _Clients
) -> tuple[TokenVerifier, Callable[[], DevIdentityProvider] | None]:
    if settings.auth_jwks_url and settings.auth_issuer and settings.auth_audience:
        jwks_url, issuer, audience = (
            settings.auth_jwks_url, settings.auth_issuer, settings.auth_audience,
        )  # fmt: skip

        def jwks() -> TokenVerifier:
            import httpx

            from adapters.jwt.trivia import JwksTokenVerifier

            http = httpx.AsyncClient(timeout=httpx.Timeout(3.0))
            clients.closers.append(http.aclose)
            return JwksTokenVerifier(http, jwks_url, issuer, audience)

        return _FirstUseTokenVerifier(jwks), None
    dev = functools.cache(lambda: dev_identity(settings))
    return _FirstUseTokenVerifier(dev), dev


def dev_identity(settings: Settings) -> DevIdentityProvider:
    """The embedded default's identity provider; refused when a real issuer is configured."""
    if settings.auth_issuer:
        raise ConfigurationError(
            "Development tokens are refused: AUTH_ISSUER names a real identity provider."
        )
    from pathlib import Path

    from adapters.jwt.trivia import DevIdentityProvider

    return DevIdentityProvider(Path(settings.auth_dev_key_file))


def _races(
    settings: Settings,
    clients: _Clients,
    readiness: list[ReadinessCheck],
    clock: SystemClock,
    leaderboards: LeaderboardService,
) -> tuple[RaceService, StreamProducer | None]:
    store: RaceStore = InMemoryRaceStore()
    notifier: LiveNotifier = InMemoryLiveNotifier()
    boards = leaderboards  # the leaderboard port's own configuration, unless RACES_TABLE
    if settings.races_table:
        from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore
        from adapters.dynamodb.races import DynamoDBRaceStore
        from adapters.iot.races import IoTLiveNotifier

        table = settings.races_table
        readiness.append(_table_check("racesTable", clients.dynamodb(), table))
        store = DynamoDBRaceStore(clients.dynamodb(), table)
        # Results and class bests are leaderboard boards in the races table.
        boards = LeaderboardService(DynamoDBLeaderboardStore(clients.dynamodb(), table), clock)
        # On AWS the live item's DynamoDB stream feeds publish_handler, which uses this.
        notifier = IoTLiveNotifier(aws_client("iot-data", settings), settings.live_iot_topic)
    history: HistoryStore = InMemoryHistoryStore()
    if settings.history_bucket:
        from adapters.s3.races import S3HistoryStore

        s3 = aws_client("s3", settings)
        history = S3HistoryStore(s3, settings.history_bucket, settings.race_seconds)
    stream: StreamProducer | None = None
    if settings.races_stream:
        from adapters.kinesis.races import KinesisStreamProducer

        stream = KinesisStreamProducer(aws_client("kinesis", settings), settings.races_stream)
    rules = RaceRules(settings.race_seconds, settings.race_classes, settings.race_grace_seconds)
    return RaceService(store, history, boards, notifier, clock, rules), stream


def _orders(
    settings: Settings,
    clients: _Clients,
    readiness: list[ReadinessCheck],
    clock: SystemClock,
    dead_letters: DeadLetters,
    idempotency: IdempotencyStore,
    payments: PaymentGateway | None,
    orchestrator: SagaOrchestrator | None,
) -> tuple[OrderService, OrderSaga]:
    order_store: OrderStore
    inventory: Inventory
    events: EventPublisher
    if settings.orders_table:
        from adapters.dynamodb.orders import DynamoDBOrderStore

        readiness.append(_table_check("ordersTable", clients.dynamodb(), settings.orders_table))
        order_store = DynamoDBOrderStore(clients.dynamodb(), settings.orders_table)
    else:
        order_store = InMemoryOrderStore()
    if settings.inventory_table:
        from adapters.dynamodb.orders import DynamoDBInventory

        table = settings.inventory_table
        readiness.append(_table_check("inventoryTable", clients.dynamodb(), table))
        inventory = DynamoDBInventory(clients.dynamodb(), table)
    else:
        inventory = InMemoryInventory(DEMO_CATALOGUE)
    if payments is None:
        payments = _payment_gateway(settings, clients)
    if settings.orders_topic_arn:
        from adapters.sns.shared import SNSEventPublisher

        events = SNSEventPublisher(clients.sns(), settings.orders_topic_arn)
    else:
        events = InMemoryEventPublisher()
    saga = OrderSaga(order_store, inventory, payments, events, dead_letters, clock)
    if orchestrator is None:
        orchestrator = _orchestrator(settings, saga)
    service = OrderService(
        order_store,
        inventory,
        orchestrator,
        idempotency,
        clock,
        fault_injection=settings.orders_fault_injection,
        recovery_idle=timedelta(seconds=settings.orders_recovery_idle_seconds),
    )
    return service, saga


def _idempotency_store(
    settings: Settings, clients: _Clients, readiness: list[ReadinessCheck]
) -> IdempotencyStore:
    """The one idempotency store, shared by order placements and trivia grants (their keys
    cannot collide: each is a digest whose first part names its use)."""
    if settings.idempotency_table:
        from adapters.dynamodb.shared import DynamoDBIdempotencyStore

        table = settings.idempotency_table
        readiness.append(_table_check("idempotencyTable", clients.dynamodb(), table))
        return DynamoDBIdempotencyStore(clients.dynamodb(), table)
    if settings.redis_url:
        from adapters.redis.shared import RedisIdempotencyStore

        return RedisIdempotencyStore(clients.redis())
    return InMemoryIdempotencyStore()


def _payment_gateway(settings: Settings, clients: _Clients) -> PaymentGateway:
    if not settings.payments_api_url:
        return InMemoryPaymentGateway()
    import httpx

    from adapters.http.orders import DEFAULT_TIMEOUT, HttpPaymentGateway

    http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
    clients.closers.append(http.aclose)
    return HttpPaymentGateway(http, settings.payments_api_url)


def _orchestrator(settings: Settings, saga: OrderSaga) -> SagaOrchestrator:
    if not settings.orders_state_machine_arn:
        return InProcessOrchestrator(saga)
    from adapters.stepfunctions.orders import StepFunctionsOrchestrator

    client = aws_client("stepfunctions", settings)
    return StepFunctionsOrchestrator(client, settings.orders_state_machine_arn)


def _stock_repository(
    settings: Settings, clients: _Clients, readiness: list[ReadinessCheck]
) -> StockRepository:
    if not settings.stocks_table:
        return InMemoryStockRepository(DEMO_STOCKS)
    from adapters.dynamodb.stocks import DynamoDBStockRepository

    readiness.append(_table_check("stocksTable", clients.dynamodb(), settings.stocks_table))
    return DynamoDBStockRepository(clients.dynamodb(), settings.stocks_table)


def _rates_provider(settings: Settings, clients: _Clients) -> RatesProvider:
    provider: RatesProvider
    if settings.rates_api_url:
        import httpx

        from adapters.http.stocks import DEFAULT_TIMEOUT, HttpRatesProvider

        http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        clients.closers.append(http.aclose)
        provider = HttpRatesProvider(http, settings.rates_api_url)
    else:
        provider = FixedRatesProvider(DEMO_RATES)
    if not settings.redis_url:
        return provider
    from adapters.redis.stocks import RedisCachedRatesProvider

    return RedisCachedRatesProvider(
        provider,
        clients.redis(),
        ttl_seconds=settings.rates_cache_ttl_seconds,
        local_ttl_seconds=settings.rates_local_cache_seconds,
    )


def _leaderboard_store(
    settings: Settings, clients: _Clients, readiness: list[ReadinessCheck]
) -> LeaderboardStore:
    if settings.leaderboards_table:
        from adapters.dynamodb.leaderboards import DynamoDBLeaderboardStore

        table = settings.leaderboards_table
        readiness.append(_table_check("leaderboardsTable", clients.dynamodb(), table))
        return DynamoDBLeaderboardStore(clients.dynamodb(), table)
    if settings.redis_url:
        from adapters.redis.leaderboards import RedisLeaderboardStore

        return RedisLeaderboardStore(clients.redis())
    store = InMemoryLeaderboardStore()
    store.seed(DEMO_BOARD, DEMO_ENTRIES)
    return store


def race_stream_reading(settings: Settings) -> tuple[StreamReader, Checkpoints]:
    """The race stream's reader and the consumer's checkpoints (in ``RACES_TABLE``; in
    memory without it, so a restarted consumer re-reads the stream's retention)."""
    if not settings.races_stream:
        raise ConfigurationError("RACES_STREAM must name the stream to consume")
    from adapters.kinesis.races import KinesisStreamReader

    reader = KinesisStreamReader(aws_client("kinesis", settings), settings.races_stream)
    if not settings.races_table:
        return reader, InMemoryCheckpoints()
    from adapters.dynamodb.races import DynamoDBCheckpoints

    return reader, DynamoDBCheckpoints(dynamodb_client(settings), settings.races_table)


def archive_reader(settings: Settings) -> ArchiveReader:
    """The reader of Firehose-delivered objects (the S3 event names the bucket)."""
    from adapters.s3.races import S3ArchiveReader

    return S3ArchiveReader(aws_client("s3", settings))


def _table_check(name: str, dynamodb: DynamoDBClient, table: str) -> ReadinessCheck:
    return ReadinessCheck(name, lambda: asyncio.to_thread(dynamodb.describe_table, TableName=table))


def dynamodb_client(settings: Settings) -> DynamoDBClient:
    client: DynamoDBClient = aws_client("dynamodb", settings)
    return client


def aws_client(service: Any, settings: Settings) -> Any:
    """A boto3 client with explicit timeouts and bounded, jittered retries (standard mode)."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=32,
    )
    return boto3.client(service, endpoint_url=settings.aws_endpoint_url, config=config)


def redis_client(url: str) -> Redis:
    """An asyncio Redis client with short timeouts: a cache must fail fast, not stall.

    The pool is bounded and blocking: under a burst, callers queue briefly for a connection
    instead of failing with "Too many connections" (which the cache would take for an
    outage and answer by calling the provider once per caller).
    """
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import EqualJitterBackoff

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=1.0,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(EqualJitterBackoff(cap=0.05, base=0.01), retries=1),
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


def init_aws(settings: Settings, *, demo_data: bool) -> list[str]:
    """Create every table the configured adapters need, if missing; with ``demo_data`` also
    write the demo rows into every configured store (tables, and Redis leaderboards).

    Returns one line per resource saying what was done.
    """
    report: list[str] = []
    clients = _Clients(settings)
    if settings.stocks_table:
        from adapters.dynamodb.stocks import DynamoDBStockRepository, create_stocks_table

        table = settings.stocks_table
        created = create_stocks_table(clients.dynamodb(), table)
        report.append(_made(f"table {table}", created))
        if demo_data:
            _write_rows(DynamoDBStockRepository(clients.dynamodb(), table).add, DEMO_STOCKS)
            report.append(f"table {table}: {len(DEMO_STOCKS)} demo stocks written")
    if settings.leaderboards_table:
        from adapters.dynamodb.leaderboards import create_leaderboard_table

        table = settings.leaderboards_table
        created = create_leaderboard_table(clients.dynamodb(), table)
        report.append(_made(f"table {table}", created))
    report += _init_orders(settings, clients, demo_data)
    report += _init_races(settings, clients)
    report += _init_trivia(settings, clients, demo_data)
    if demo_data and (settings.leaderboards_table or settings.redis_url):
        services = bootstrap(settings)
        where = f"table {settings.leaderboards_table}" if settings.leaderboards_table else "redis"

        async def write_demo_board() -> None:
            try:
                await services.leaderboards.create_board(DEMO_BOARD.key, DEMO_BOARD.policy)
                submissions = [
                    Submission(e.member, e.score, e.display, e.achieved_at) for e in DEMO_ENTRIES
                ]
                await services.leaderboards.submit_many(DEMO_BOARD.key, submissions)
            finally:
                await services.aclose()

        asyncio.run(write_demo_board())
        report.append(f"{where}: demo leaderboard {DEMO_BOARD.key} written")
    return report


_Row = TypeVar("_Row")


def _made(what: str, created: bool) -> str:
    """A report line of ``init-aws``: ``table t: created`` or ``table t: exists``."""
    return f"{what}: {'created' if created else 'exists'}"


def _write_rows(add: Callable[[_Row], Awaitable[object]], rows: Iterable[_Row]) -> None:
    """Write demo rows one by one through an adapter's ``add`` (or ``put``)."""

    async def write() -> None:
        for row in rows:
            await add(row)

    asyncio.run(write())


def _init_trivia(settings: Settings, clients: _Clients, demo_data: bool) -> list[str]:
    report: list[str] = []
    if settings.trivia_table:
        from adapters.dynamodb.leaderboards import create_leaderboard_table
        from adapters.dynamodb.trivia import DynamoDBQuizStore

        table = settings.trivia_table
        # The leaderboard layout (PK, SK, GSI_PK_Index): the quiz boards live here too.
        created = create_leaderboard_table(clients.dynamodb(), table)
        report.append(_made(f"table {table}", created))
        if demo_data:
            _write_rows(DynamoDBQuizStore(clients.dynamodb(), table).put, demo_quizzes())
            report.append(f"table {table}: {len(demo_quizzes())} demo quizzes written")
    return report


def _init_races(settings: Settings, clients: _Clients) -> list[str]:
    report: list[str] = []
    if settings.races_table:
        from adapters.dynamodb.leaderboards import create_leaderboard_table
        from adapters.dynamodb.races import enable_live_stream

        table = settings.races_table
        # The leaderboard layout (GSI_PK_Index on PK, GSI): results and class bests are
        # leaderboard boards; the live items' stream feeds publish_handler.
        created = create_leaderboard_table(clients.dynamodb(), table)
        report.append(_made(f"table {table}", created))
        if enable_live_stream(clients.dynamodb(), table):
            report.append(f"table {table}: stream of new images enabled")
    if settings.races_stream:
        from adapters.kinesis.races import create_stream

        stream, shards = settings.races_stream, settings.races_stream_shards
        created = create_stream(aws_client("kinesis", settings), stream, shards)
        report.append(f"stream {stream}: {f'created ({shards} shards)' if created else 'exists'}")
    if settings.history_bucket:
        from adapters.s3.races import create_bucket

        created = create_bucket(aws_client("s3", settings), settings.history_bucket)
        report.append(_made(f"bucket {settings.history_bucket}", created))
    return report


def _init_orders(settings: Settings, clients: _Clients, demo_data: bool) -> list[str]:
    if not (settings.orders_table or settings.inventory_table or settings.idempotency_table):
        return []
    from adapters.dynamodb.orders import (
        DynamoDBInventory,
        create_inventory_table,
        create_orders_table,
    )
    from adapters.dynamodb.shared import create_idempotency_table

    report: list[str] = []
    for table, create in (
        (settings.orders_table, create_orders_table),
        (settings.inventory_table, create_inventory_table),
        (settings.idempotency_table, create_idempotency_table),
    ):
        if table:
            created = create(clients.dynamodb(), table)
            report.append(_made(f"table {table}", created))
    if demo_data and settings.inventory_table:
        _write_rows(
            DynamoDBInventory(clients.dynamodb(), settings.inventory_table).add, DEMO_CATALOGUE
        )
        report.append(f"table {settings.inventory_table}: demo catalogue written")
    return report
