"""HistoryStore contract: in memory and S3 (moto), the all-time records per class."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.memory.races import InMemoryHistoryStore
from domain.races.errors import StaleRaceError
from domain.races.model import ClassHistory, DeviceMessage
from ports.races import HistoryStore
from tests.support.services import boto_client

pytestmark = pytest.mark.anyio
SECONDS = 300


@pytest.fixture(params=["memory", "s3"])
def store(request: pytest.FixtureRequest) -> Iterator[HistoryStore]:
    if request.param == "memory":
        yield InMemoryHistoryStore()
        return
    from adapters.s3.races import S3HistoryStore
    from adapters.s3.shared import create_bucket

    s3 = boto_client("s3", request.getfixturevalue("aws_env"))
    bucket = f"history-{uuid.uuid4().hex[:8]}"
    assert create_bucket(s3, bucket)
    assert not create_bucket(s3, bucket)
    yield S3HistoryStore(s3, bucket, SECONDS)


def a_history(class_id: int = 4) -> ClassHistory:
    history = ClassHistory(class_id, SECONDS, updated_at=1_795_436_371_544)
    history.merge(
        DeviceMessage(class_id, 1, racer, second, Decimal("80.123456789"), Decimal(racer))
        for racer in range(1, 4)
        for second in range(1, SECONDS + 1, 7)
    )
    return history


async def test_a_missing_history_is_empty(store: HistoryStore) -> None:
    assert await store.load(4) == (None, None)


async def test_a_history_comes_back_exactly(store: HistoryStore) -> None:
    await store.save(a_history(), None)
    loaded, version = await store.load(4)
    assert loaded == a_history()
    assert version is not None
    assert loaded is not None
    assert loaded.racers[2][0] == (Decimal("80.123456789") + 35) * 67 / 100  # 38 digits kept
    assert loaded.racers[2][1] is None


async def test_writes_are_conditional_so_no_processor_loses_records(store: HistoryStore) -> None:
    await store.save(a_history(), None)
    with pytest.raises(StaleRaceError):
        await store.save(a_history(), None)  # someone created it first
    _, version = await store.load(4)
    better = a_history()
    better.merge([DeviceMessage(4, 2, 9, 1, Decimal(250), Decimal(100))])
    await store.save(better, version)
    with pytest.raises(StaleRaceError):
        await store.save(a_history(), version)  # a stale read must merge again, not overwrite
    assert (await store.load(4))[0] == better
