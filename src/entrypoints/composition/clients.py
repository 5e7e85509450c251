"""The vendor clients every context shares: each built on first use, once per process, typed,
and closed by :meth:`Clients.aclose`.

AWS clients use boto3's standard retry mode (3 attempts, jittered backoff): boto3 owns the
retries of AWS calls, so no adapter loops around them (the README's decision "One retry
helper" lists the loops that remain and what each one owns).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from entrypoints.settings import Settings

if TYPE_CHECKING:
    import httpx
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_iot_data.client import IoTDataPlaneClient
    from mypy_boto3_kinesis.client import KinesisClient
    from mypy_boto3_rekognition.client import RekognitionClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_stepfunctions.client import SFNClient
    from redis.asyncio import Redis

#: Connections per process to Redis; requests beyond it wait (at most 1 s) for a free one.
REDIS_MAX_CONNECTIONS = 32

AwsService = Literal[
    "apigatewaymanagementapi", "dynamodb", "iot-data", "kinesis", "rekognition", "s3", "sns",
    "sqs", "stepfunctions",
]  # fmt: skip


class Clients:
    """One client per vendor service, built on first use and shared by every adapter."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._aws: dict[str, Any] = {}
        self._redis: Redis | None = None
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self._aws_client("dynamodb")
        return client

    def sns(self) -> SNSClient:
        client: SNSClient = self._aws_client("sns")
        return client

    def sqs(self) -> SQSClient:
        client: SQSClient = self._aws_client("sqs")
        return client

    def s3(self) -> S3Client:
        client: S3Client = self._aws_client("s3")
        return client

    def rekognition(self) -> RekognitionClient:
        client: RekognitionClient = self._aws_client("rekognition")
        return client

    def kinesis(self) -> KinesisClient:
        client: KinesisClient = self._aws_client("kinesis")
        return client

    def stepfunctions(self) -> SFNClient:
        client: SFNClient = self._aws_client("stepfunctions")
        return client

    def iot_data(self) -> IoTDataPlaneClient:
        client: IoTDataPlaneClient = self._aws_client("iot-data")
        return client

    def management_api(self, endpoint: str) -> Any:
        """The API Gateway Management API of one WebSocket API stage (untyped: no stubs;
        ``adapters.apigateway.shared`` declares the one call it makes)."""
        key = f"apigatewaymanagementapi:{endpoint}"
        client = self._aws.get(key)
        if client is None:
            client = self._aws[key] = _boto3_client(
                "apigatewaymanagementapi", self._settings, endpoint
            )
        return client

    def redis(self) -> Redis:
        if self._redis is None:
            if not self._settings.redis_url:
                raise ValueError("REDIS_URL is not set")
            self._redis = redis_client(self._settings.redis_url)
            self._closers.append(self._redis.aclose)
        return self._redis

    def http(self, timeout: httpx.Timeout) -> httpx.AsyncClient:
        """A new HTTP client (one per remote API, for its own timeouts), closed with the rest."""
        import httpx

        client = httpx.AsyncClient(timeout=timeout)
        self._closers.append(client.aclose)
        return client

    async def aclose(self) -> None:
        """Close every client opened, the last opened first."""
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            await close()
        aws, self._aws = self._aws, {}
        for client in aws.values():
            client.close()  # its connection pool

    def _aws_client(self, service: AwsService) -> Any:
        client = self._aws.get(service)
        if client is None:
            client = self._aws[service] = _boto3_client(service, self._settings)
        return client


def _boto3_client(service: AwsService, settings: Settings, endpoint: str | None = None) -> Any:
    """A boto3 client with explicit timeouts and bounded, jittered retries (standard mode);
    untyped, so only the typed methods of :class:`Clients` call it."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=32,
        # SigV4 everywhere (S3's presigned POSTs too: newer regions take no other)
        signature_version="s3v4" if service == "s3" else None,
    )
    url = endpoint or settings.aws_endpoint_url
    return boto3.client(service, endpoint_url=url, config=config)


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
