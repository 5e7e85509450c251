"""RaceStore contract: in memory and DynamoDB (moto), the live board of a race."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.memory.races import InMemoryRaceStore
from domain.races.errors import StaleRaceError
from domain.races.model import DeviceMessage, LiveRace, RaceRules
from ports.races import RaceStore
from tests.support.services import dynamodb_client

pytestmark = pytest.mark.anyio
RULES = RaceRules(race_seconds=300)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[RaceStore]:
    if request.param == "memory":
        yield InMemoryRaceStore()
        return
    from adapters.dynamodb.leaderboards import create_leaderboard_table
    from adapters.dynamodb.races import DynamoDBRaceStore

    env = request.getfixturevalue("aws_env")
    table = f"races-{uuid.uuid4().hex[:8]}"
    create_leaderboard_table(dynamodb_client(env), table)
    yield DynamoDBRaceStore(dynamodb_client(env), table)


def a_race(racers: int = 3, seconds: int = 5) -> LiveRace:
    race = LiveRace(2, 5_984_787)
    for r in range(1, racers + 1):
        for s in range(1, seconds + 1):
            cadence = Decimal("80.57") + r
            race.count(
                DeviceMessage(2, 5_984_787, r, s, cadence, Decimal("78.25"), name=f"R{r}"), RULES
            )
    race.count(DeviceMessage(2, 5_984_787, 1, 1, Decimal(1), Decimal(1)), RULES)  # a duplicate
    return race


async def test_a_race_comes_back_exactly(store: RaceStore) -> None:
    saved = await store.save(a_race())
    assert saved.version == 1
    loaded = await store.live(2, 5_984_787)
    assert loaded == saved
    assert loaded is not None
    assert loaded.racers[1].seen == sum(1 << s for s in range(1, 6))
    assert loaded.racers[2].total == 5 * (Decimal("82.57") + 35) * (Decimal("78.25") + 65) / 100
    assert loaded.duplicates == 1
    assert await store.live(2, 1) is None


async def test_saves_are_conditional_on_the_version(store: RaceStore) -> None:
    first = await store.save(a_race())
    with pytest.raises(StaleRaceError):
        await store.save(a_race())  # version 0: someone created it already
    second = await store.save(first)
    assert second.version == 2
    with pytest.raises(StaleRaceError):
        await store.save(first)  # a retried flush of an older read loses, never overwrites
    assert await store.live(2, 5_984_787) == second


async def test_races_are_listed_until_finished_with_every_total_on_the_boards(
    store: RaceStore,
) -> None:
    race = await store.save(a_race())
    other = LiveRace(3, 7)
    other.count(DeviceMessage(3, 7, 1, 1, Decimal(1), Decimal(1)), RULES)
    other = await store.save(other)
    listed = [(2, 5_984_787), (3, 7)]
    assert sorted((r.class_id, r.race_id) for r in await store.unfinished()) == listed
    race.finish_all()
    race = await store.save(race)  # finished, totals not yet on the boards: still listed
    assert sorted((r.class_id, r.race_id) for r in await store.unfinished()) == listed
    for racer in race.racers.values():
        racer.submitted = racer.total
    await store.save(race)
    assert [(r.class_id, r.race_id) for r in await store.unfinished()] == [(3, 7)]


async def test_a_thousand_racers_fit_in_one_live_board(store: RaceStore) -> None:
    saved = await store.save(a_race(racers=1000, seconds=300))
    loaded = await store.live(2, 5_984_787)
    assert loaded == saved
