"""The composition root: settings -> shared clients -> each context's use cases.

One module per context builds only that context, from the settings it declares in
``READS``; :class:`Composition` builds each on first use, so a Lambda handler imports and
builds its own context and nothing else. Adapters are chosen by one rule
(:func:`entrypoints.composition.shared.backend`); modules of unselected adapters are never
imported, so on the embedded default no boto3, redis or httpx is loaded. Provisioning
(``init-aws``, demo data) is not composition: see :mod:`entrypoints.provisioning`.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from entrypoints.composition.clients import Clients
from entrypoints.composition.shared import ReadinessCheck
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from redis.asyncio import Redis

    from adapters.jwt.trivia import DevIdentityProvider
    from domain.leaderboards.service import LeaderboardService
    from domain.orders.saga import OrderSaga
    from domain.orders.service import OrderService
    from domain.races.intake import DeviceBatches
    from domain.races.service import RaceService
    from domain.stocks.service import StockValuationService
    from domain.trivia.avatars import AvatarProcessor, PlayerNotifier, ProfileService
    from domain.trivia.intake import TriviaEvents
    from domain.trivia.service import MarketService, TriviaService
    from entrypoints.composition.orders import OrdersContext
    from entrypoints.composition.trivia import LiveContext, TriviaContext
    from entrypoints.composition.trivia_profiles import ProfilesContext
    from ports.leaderboards import LeaderboardStore
    from ports.orders import PaymentGateway, SagaOrchestrator
    from ports.races import StreamProducer
    from ports.shared import Clock, DeadLetters, IdempotencyStore
    from ports.stocks import RatesProvider, StockRepository
    from ports.trivia import TokenVerifier, WebPushSender

__all__ = ["Composition", "Overrides", "ReadinessCheck", "compose", "load_settings"]


def load_settings() -> Settings:
    """Read the environment; the one place that does."""
    return Settings.from_env(os.environ)


@dataclass(frozen=True, slots=True)
class Overrides:
    """Adapters given by the embedding code (or a test) instead of the configured ones."""

    stock_repository: StockRepository | None = None
    rates_provider: RatesProvider | None = None
    leaderboard_store: LeaderboardStore | None = None
    payment_gateway: PaymentGateway | None = None
    saga_orchestrator: SagaOrchestrator | None = None


class Composition:
    """Every context of one process, each built on first use and then kept.

    The shared clients are built once and closed by :meth:`aclose`; ``readiness`` lists the
    dependency probes of the contexts built so far (for ``/readyz``). An attribute assigned
    before first use replaces what would be built (a test's own service, say).
    """

    def __init__(self, settings: Settings, overrides: Overrides | None = None) -> None:
        self.settings = settings
        self.overrides = overrides or Overrides()
        self.clients = Clients(settings)
        self.readiness: list[ReadinessCheck] = []

    def redis(self, *, holds_data: bool) -> Redis:
        """The shared Redis client. Its readiness check is required once Redis holds data (a
        leaderboard, an idempotency record), optional while it only caches."""
        client = self.clients.redis()
        others = [c for c in self.readiness if c.name != "redis"]
        required = holds_data or any(c.name == "redis" and c.required for c in self.readiness)
        self.readiness[:] = [*others, ReadinessCheck("redis", client.ping, required=required)]
        return client

    def dynamodb(self, check: str, table: str) -> DynamoDBClient:
        """The shared DynamoDB client, for ``table``; ``/readyz`` then probes the table as
        ``check`` (``stocksTable``, ...)."""
        client = self.clients.dynamodb()
        probe = functools.partial(asyncio.to_thread, client.describe_table, TableName=table)
        self.readiness.append(ReadinessCheck(check, probe))
        return client

    async def aclose(self) -> None:
        """Close every client the composition opened."""
        await self.clients.aclose()

    # The shared kernel.

    @cached_property
    def clock(self) -> Clock:
        from adapters.system.shared import SystemClock

        return SystemClock()

    @cached_property
    def dead_letters(self) -> DeadLetters:
        from entrypoints.composition.shared import dead_letters

        return dead_letters(self.settings, self.clients)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        from entrypoints.composition.shared import idempotency_store

        return idempotency_store(self)

    # The contexts, each from its own module.

    @cached_property
    def stocks(self) -> StockValuationService:
        from entrypoints.composition.stocks import build_stocks

        return build_stocks(self)

    @cached_property
    def leaderboards(self) -> LeaderboardService:
        from entrypoints.composition.leaderboards import build_leaderboards

        return build_leaderboards(self)

    @cached_property
    def _orders(self) -> OrdersContext:
        from entrypoints.composition.orders import build_orders

        return build_orders(self)

    @cached_property
    def orders(self) -> OrderService:
        return self._orders.service

    @cached_property
    def order_saga(self) -> OrderSaga:
        """The saga's steps (each also a Step Functions task)."""
        return self._orders.saga

    @cached_property
    def races(self) -> RaceService:
        from entrypoints.composition.races import build_races

        return build_races(self)

    @cached_property
    def race_batches(self) -> DeviceBatches:
        """The race stream's batches, admitted and stored: what the Kinesis handler and the
        container's stream consumer both apply."""
        from domain.races.intake import DeviceBatches

        return DeviceBatches(self.races, self.dead_letters)

    @cached_property
    def race_stream(self) -> StreamProducer | None:
        """The race stream (``RACES_STREAM``); None on the embedded default, where device
        messages are aggregated in-process as they are posted."""
        from entrypoints.composition.races import build_stream_producer

        return build_stream_producer(self)

    @cached_property
    def trivia_context(self) -> TriviaContext:
        from entrypoints.composition.trivia import build_trivia

        return build_trivia(self)

    @cached_property
    def live(self) -> LiveContext:
        """Live games for a process that holds its players' sockets (the local server, the
        container)."""
        from entrypoints.composition.trivia import build_live

        return build_live(self, sockets=True)

    @cached_property
    def live_on_gateway(self) -> LiveContext:
        """Live games whose sockets API Gateway holds (the Lambda handlers)."""
        from entrypoints.composition.trivia import build_live

        return build_live(self, sockets=False)

    @cached_property
    def profiles_context(self) -> ProfilesContext:
        from entrypoints.composition.trivia_profiles import build_profiles

        return build_profiles(self)

    @cached_property
    def profiles(self) -> ProfileService:
        return self.profiles_context.profiles

    @cached_property
    def web_push(self) -> WebPushSender | None:
        from entrypoints.composition.trivia_profiles import web_push

        return web_push(self)

    @cached_property
    def notifier(self) -> PlayerNotifier:
        """Push subscriptions and the VAPID key (and notifications, without live ones)."""
        from entrypoints.composition.trivia_profiles import notifier

        return notifier(self, None)

    @cached_property
    def avatars(self) -> AvatarProcessor:
        """The avatar processor of a process holding its players' sockets (the local
        server: its uploads are processed in-process)."""
        from entrypoints.composition.trivia_profiles import avatar_processor

        return avatar_processor(self, self.live)

    @cached_property
    def avatars_on_gateway(self) -> AvatarProcessor:
        """The avatar processor of the S3 event handler: players are told on the
        WebSocket API's connections when ``LIVE_CALLBACK_URL`` names it."""
        from entrypoints.composition.trivia_profiles import avatar_processor

        live = self.live_on_gateway if self.settings.live_callback_url else None
        return avatar_processor(self, live)

    @cached_property
    def trivia(self) -> TriviaService:
        return self.trivia_context.trivia

    @cached_property
    def trivia_events(self) -> TriviaEvents:
        """Trivia event messages handled by their consumers: what the SNS handlers and the
        container's queue consumer both call."""
        from domain.trivia.intake import TriviaEvents

        return TriviaEvents(self.trivia.consumers(), self.dead_letters)

    @cached_property
    def market(self) -> MarketService:
        """Wallets and the quiz marketplace."""
        return self.trivia_context.market

    @cached_property
    def tokens(self) -> TokenVerifier:
        """Verifies the trivia routes' bearer tokens (the JWKS of ``AUTH_JWKS_URL``, else the
        embedded development identity provider)."""
        return self.trivia_context.tokens

    @cached_property
    def dev_identity(self) -> Callable[[], DevIdentityProvider] | None:
        """The development identity provider, built on first use; None beside a real one."""
        return self.trivia_context.dev_identity


def compose(settings: Settings | None = None, overrides: Overrides | None = None) -> Composition:
    """The composition of this process, from ``settings`` (read from the environment when not
    given); nothing is built until first used."""
    return Composition(settings if settings is not None else load_settings(), overrides)
