"""The races context: ``RACES_TABLE`` -> the live races, results and class bests in DynamoDB
(and live boards pushed over IoT from its stream), else in memory with the shared
leaderboards; ``HISTORY_BUCKET`` -> the all-time records in S3; ``RACES_STREAM`` -> device
messages go to Kinesis, else they are aggregated in-process as they are posted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from domain.leaderboards.service import LeaderboardService
from domain.races.model import LiveRace, RaceRules
from domain.races.service import RaceService
from entrypoints.composition.leaderboards import boards_in_table
from entrypoints.composition.shared import Backend, backend
from entrypoints.settings import ConfigurationError
from ports.races import (
    ArchiveReader,
    Checkpoints,
    HistoryStore,
    LiveNotifier,
    RaceStore,
    StreamProducer,
    StreamReader,
)

if TYPE_CHECKING:
    from entrypoints.composition import Composition

READS = (
    "race_seconds",
    "race_classes",
    "race_grace_seconds",
    "races_table",
    "races_stream",
    "history_bucket",
    "live_iot_topic",
)


def race_rules(root: Composition) -> RaceRules:
    settings = root.settings
    return RaceRules(settings.race_seconds, settings.race_classes, settings.race_grace_seconds)


def build_races(root: Composition) -> RaceService:
    settings = root.settings
    store: RaceStore
    notifier: LiveNotifier
    boards: LeaderboardService
    if backend(settings.races_table, settings) is Backend.AWS:
        from adapters.dynamodb.races import DynamoDBRaceStore
        from adapters.iot.races import IoTLiveNotifier

        table = settings.races_table
        assert table
        store = DynamoDBRaceStore(root.dynamodb("racesTable", table), table)
        # Results and class bests are leaderboard boards in the races table.
        boards = boards_in_table(root, table)
        # On AWS the live item's DynamoDB stream feeds publish_handler, which uses this.
        notifier = IoTLiveNotifier(root.clients.iot_data(), settings.live_iot_topic)
    else:
        from adapters.memory.races import InMemoryLiveNotifier, InMemoryRaceStore

        store, notifier = InMemoryRaceStore(), InMemoryLiveNotifier()
        boards = root.leaderboards  # the leaderboard context's own configuration
    return RaceService(store, _history(root), boards, notifier, root.clock, race_rules(root))


def _history(root: Composition) -> HistoryStore:
    settings = root.settings
    if backend(settings.history_bucket, settings) is Backend.AWS:
        from adapters.s3.races import S3HistoryStore

        assert settings.history_bucket
        return S3HistoryStore(root.clients.s3(), settings.history_bucket, settings.race_seconds)
    from adapters.memory.races import InMemoryHistoryStore

    return InMemoryHistoryStore()


def build_stream_producer(root: Composition) -> StreamProducer | None:
    stream = root.settings.races_stream
    if backend(stream, root.settings) is not Backend.AWS:
        return None
    from adapters.kinesis.races import KinesisStreamProducer

    assert stream
    return KinesisStreamProducer(root.clients.kinesis(), stream)


def stream_reading(root: Composition) -> tuple[str, StreamReader, Checkpoints]:
    """The race stream's name and reader, and the consumer's checkpoints (in ``RACES_TABLE``;
    in memory without it, so a restarted consumer re-reads the stream's retention)."""
    stream = root.settings.races_stream
    if not stream:
        raise ConfigurationError("RACES_STREAM must name the stream to consume")
    from adapters.kinesis.races import KinesisStreamReader

    reader = KinesisStreamReader(root.clients.kinesis(), stream)
    table = root.settings.races_table
    if backend(table, root.settings) is not Backend.AWS:
        from adapters.memory.races import InMemoryCheckpoints

        return stream, reader, InMemoryCheckpoints()
    from adapters.dynamodb.races import DynamoDBCheckpoints

    assert table
    return stream, reader, DynamoDBCheckpoints(root.clients.dynamodb(), table)


def archive_reader(root: Composition) -> ArchiveReader:
    """The reader of Firehose-delivered objects (the S3 event names the bucket)."""
    from adapters.s3.races import S3ArchiveReader

    return S3ArchiveReader(root.clients.s3())


def live_image_reader() -> Callable[[Mapping[str, Any]], LiveRace | None]:
    """Reads the race in a ``RACES_TABLE`` stream image (None for items that are not a live
    race); the item format belongs to the DynamoDB adapter."""
    from adapters.dynamodb.races import live_race_from_image

    return live_race_from_image
