"""The trivia context: ``TRIVIA_TABLE`` -> quizzes, plays, progress, wallets, the marketplace
and the quiz boards in DynamoDB (so consumers in other processes write where the routes
read), else in memory with the demo quizzes and the shared leaderboards;
``TRIVIA_TOPIC_ARN`` -> events on SNS for the Lambda or container consumers, else an
in-process bus whose subscribers are the service's own consumers; ``AUTH_JWKS_URL`` (with
``AUTH_ISSUER`` and ``AUTH_AUDIENCE``) -> tokens of that issuer, else the embedded
development identity provider (its key in ``AUTH_DEV_KEY_FILE``). Live games (``build_live``):
``REDIS_URL`` -> Redis, else ``TRIVIA_TABLE`` -> DynamoDB, else in memory;
``LIVE_HOST_GRACE_SECONDS``; ``LIVE_CALLBACK_URL`` (API Gateway's Management API, Lambda)."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from domain.trivia.service import MarketService, TriviaService
from entrypoints.composition.leaderboards import boards_in_table
from entrypoints.composition.shared import Backend, backend, event_publisher
from entrypoints.settings import ConfigurationError, Settings
from ports.shared import EventPublisher, Pusher, QueueReader
from ports.trivia import (
    ChatLog,
    ConnectionRegistry,
    LiveGameStore,
    Marketplace,
    PlayLog,
    ProgressStore,
    QuizStore,
    TokenVerifier,
    WalletStore,
)

if TYPE_CHECKING:
    from adapters.jwt.trivia import DevIdentityProvider
    from adapters.memory.shared import InProcessPusher
    from domain.trivia.hosting import LiveGameService
    from domain.trivia.sessions import LiveSessions
    from entrypoints.composition import Composition

READS = (
    "trivia_table",
    "trivia_topic_arn",
    "auth_jwks_url",
    "auth_issuer",
    "auth_audience",
    "auth_dev_key_file",
    "redis_url",
    "live_host_grace_seconds",
    "live_callback_url",
)


@dataclass(frozen=True, slots=True)
class TriviaContext:
    trivia: TriviaService
    market: MarketService
    tokens: TokenVerifier
    dev_identity: Callable[[], DevIdentityProvider] | None
    quizzes: QuizStore
    progress: ProgressStore


def build_trivia(root: Composition) -> TriviaContext:
    settings = root.settings
    quizzes: QuizStore
    plays: PlayLog
    progress: ProgressStore
    wallets: WalletStore
    market: Marketplace
    table = settings.trivia_table
    if backend(table, settings) is Backend.AWS:
        from adapters.dynamodb.trivia import (
            DynamoDBMarketplace,
            DynamoDBPlayLog,
            DynamoDBProgressStore,
            DynamoDBQuizStore,
            DynamoDBWalletStore,
        )

        assert table
        dynamodb = root.dynamodb("triviaTable", table)
        quizzes = DynamoDBQuizStore(dynamodb, table)
        plays, progress = DynamoDBPlayLog(dynamodb, table), DynamoDBProgressStore(dynamodb, table)
        wallets, market = DynamoDBWalletStore(dynamodb, table), DynamoDBMarketplace(dynamodb, table)
        boards = boards_in_table(root, table)
    else:
        from adapters.memory.trivia import (
            InMemoryMarketplace,
            InMemoryPlayLog,
            InMemoryProgressStore,
            InMemoryQuizStore,
            InMemoryWalletStore,
            demo_quizzes,
        )

        memory_quizzes, memory_wallets = InMemoryQuizStore(demo_quizzes()), InMemoryWalletStore()
        quizzes, wallets = memory_quizzes, memory_wallets
        market = InMemoryMarketplace(memory_quizzes, memory_wallets)
        plays, progress = InMemoryPlayLog(), InMemoryProgressStore()
        boards = root.leaderboards  # the leaderboard context's own configuration
    from adapters.memory.shared import InMemoryEventBus

    bus: InMemoryEventBus | None = None

    def in_process_bus() -> EventPublisher:
        nonlocal bus
        bus = InMemoryEventBus(root.dead_letters)
        return bus

    events = event_publisher(settings.trivia_topic_arn, settings, root.clients, in_process_bus)
    trivia = TriviaService(quizzes, plays, progress, boards, events, root.clock, market)
    if bus is not None:
        for name, consumer in trivia.consumers().items():
            bus.subscribe(name, consumer)
    tokens, dev = _identity(root)
    market_service = MarketService(quizzes, wallets, market, root.idempotency, root.clock)
    return TriviaContext(trivia, market_service, tokens, dev, quizzes, progress)


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
    root: Composition,
) -> tuple[TokenVerifier, Callable[[], DevIdentityProvider] | None]:
    settings = root.settings
    if settings.auth_jwks_url and settings.auth_issuer and settings.auth_audience:
        jwks_url, issuer, audience = (
            settings.auth_jwks_url, settings.auth_issuer, settings.auth_audience,
        )  # fmt: skip

        def jwks() -> TokenVerifier:
            import httpx

            from adapters.jwt.trivia import JwksTokenVerifier

            return JwksTokenVerifier(
                root.clients.http(httpx.Timeout(3.0)), jwks_url, issuer, audience
            )

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


def event_queue(root: Composition, queue_url: str) -> QueueReader:
    """The SQS queue subscribed to ``TRIVIA_TOPIC_ARN`` that ``portside consume trivia``
    reads (the queue is named on the command line)."""
    from adapters.sqs.shared import SQSQueueReader

    return SQSQueueReader(root.clients.sqs(), queue_url)


@dataclass(frozen=True, slots=True)
class LiveContext:
    """The live games' protocol, and what a server process holding sockets needs: its own
    connections' pusher, its ``node`` name, and the background work to run while serving
    (the fan-out listener with ``REDIS_URL``)."""

    sessions: LiveSessions
    games: LiveGameService
    local: InProcessPusher | None
    node: str | None
    connections: ConnectionRegistry
    pusher: Pusher
    background: tuple[Callable[[], Coroutine[Any, Any, None]], ...]


def build_live(root: Composition, *, sockets: bool) -> LiveContext:
    """Live state: ``REDIS_URL`` -> Redis (fastest, and it fans out between processes),
    else ``TRIVIA_TABLE`` -> DynamoDB, else in memory. ``sockets``: this process holds the
    connections (the local server, the container); else the gateway does (Lambda), whose
    Management API at ``LIVE_CALLBACK_URL`` pushes."""
    from domain.trivia.hosting import LiveGameService
    from domain.trivia.sessions import LiveSessions

    settings = root.settings
    games: LiveGameStore
    connections: ConnectionRegistry
    chat: ChatLog
    pusher: Pusher
    from adapters.memory.shared import InProcessPusher

    local = InProcessPusher() if sockets else None
    node = secrets.token_hex(8) if sockets else None
    background: list[Callable[[], Coroutine[Any, Any, None]]] = []
    chosen = backend(None if settings.redis_url else settings.trivia_table, settings, redis=True)
    if chosen is Backend.REDIS:
        from adapters.redis.shared import RedisFanoutPusher
        from adapters.redis.trivia import (
            RedisChatLog,
            RedisConnectionRegistry,
            RedisLiveGameStore,
        )

        redis = root.redis(holds_data=True)
        games, connections, chat = (
            RedisLiveGameStore(redis), RedisConnectionRegistry(redis), RedisChatLog(redis),
        )  # fmt: skip
        if local is not None and node is not None:
            fanout = RedisFanoutPusher(redis, local, node)
            pusher = fanout
            background.append(fanout.listen)
    elif chosen is Backend.AWS:
        from adapters.dynamodb.trivia_live import (
            DynamoDBChatLog,
            DynamoDBConnectionRegistry,
            DynamoDBLiveGameStore,
        )

        table = settings.trivia_table
        assert table
        dynamodb = root.dynamodb("triviaTable", table)
        games, connections, chat = (
            DynamoDBLiveGameStore(dynamodb, table), DynamoDBConnectionRegistry(dynamodb, table),
            DynamoDBChatLog(dynamodb, table),
        )  # fmt: skip
    else:
        from adapters.memory.trivia import (
            InMemoryChatLog,
            InMemoryConnectionRegistry,
            InMemoryLiveGameStore,
        )

        if not sockets:
            raise ConfigurationError(
                "Live games need REDIS_URL or TRIVIA_TABLE here: each Lambda invocation may be "
                "another process, so in-memory live state would be lost between them."
            )
        games, connections, chat = (
            InMemoryLiveGameStore(), InMemoryConnectionRegistry(), InMemoryChatLog(),
        )  # fmt: skip
    if local is not None and not background:
        pusher = local
    elif local is None:
        if not settings.live_callback_url:
            raise ConfigurationError(
                "LIVE_CALLBACK_URL must name the WebSocket API's Management endpoint "
                "(https://{api}.execute-api.{region}.amazonaws.com/{stage})."
            )
        from adapters.apigateway.shared import ManagementApiPusher

        pusher = ManagementApiPusher(root.clients.management_api(settings.live_callback_url))
    service = LiveGameService(games, root.trivia_context.quizzes, root.clock)
    sessions = LiveSessions(
        service, root.trivia, connections, pusher, chat, settings.live_host_grace_seconds
    )
    return LiveContext(sessions, service, local, node, connections, pusher, tuple(background))
