"""``portside consume races``'s consumer on in-memory adapters: windows, checkpoints, retries."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.races import (
    InMemoryCheckpoints,
    InMemoryHistoryStore,
    InMemoryLiveNotifier,
    InMemoryStream,
)
from adapters.memory.shared import InMemoryDeadLetters
from domain.leaderboards.service import LeaderboardService
from domain.races.model import output
from domain.races.service import RaceService
from domain.races.stream import StreamRecord
from entrypoints.composition import Composition
from entrypoints.races_consumer import RaceStreamConsumer
from tests.support.composing import composition_with
from tests.support.fakes import ManualClock
from tests.unit.test_race_handlers import FlakyRaceStore
from tests.unit.test_races import IN_RACE, RACE, RULES, msg


def services(store: FlakyRaceStore) -> tuple[Composition, InMemoryDeadLetters]:
    clock = ManualClock(IN_RACE)
    boards = LeaderboardService(InMemoryLeaderboardStore(), clock)
    races = RaceService(store, InMemoryHistoryStore(), boards, InMemoryLiveNotifier(), clock, RULES)
    letters = InMemoryDeadLetters()
    return composition_with(races=races, dead_letters=letters), letters


def put_race(stream: InMemoryStream, racers: int = 30, duplicates: float = 0.2) -> None:
    rng = random.Random(4)
    messages = [
        msg(r, s, cadence=50 + r, resistance=s) for r in range(racers) for s in range(1, 11)
    ]
    messages += rng.sample(messages, int(len(messages) * duplicates))
    rng.shuffle(messages)
    records = [
        StreamRecord(uuid.uuid4().hex, json.dumps(m, default=float).encode()) for m in messages
    ]
    records.insert(17, StreamRecord("poison", b"{oops"))
    asyncio.run(stream.put(records))


def expected(racers: int = 30) -> dict[str, Decimal]:
    return {
        f"racer-{r}": sum(
            (output(Decimal(50 + r), Decimal(s)) for s in range(1, 11)), Decimal(0)
        ).quantize(Decimal("0.01"))
        for r in range(racers)
    }


def consume(
    svc: Composition, stream: InMemoryStream, checkpoints: InMemoryCheckpoints, **kwargs: Any
) -> RaceStreamConsumer:
    consumer = RaceStreamConsumer(
        svc, stream, checkpoints, "races", poll_seconds=0.01, batch_size=50, **kwargs
    )
    consumer.run(until_idle=0.1)
    return consumer


def board(svc: Composition) -> dict[str, Decimal]:
    page = asyncio.run(svc.races.results(1, RACE, 100, 0))
    return {e.entry.member: e.entry.score for e in page.entries}


@pytest.mark.parametrize("window", [0.0, 0.05])
def test_a_race_over_two_shards_counts_every_second_once(window: float) -> None:
    stream, checkpoints = InMemoryStream(shard_count=2), InMemoryCheckpoints()
    put_race(stream)
    svc, letters = services(FlakyRaceStore())
    consumer = consume(svc, stream, checkpoints, window_seconds=window)
    assert board(svc) == expected()
    assert consumer.report.records == 30 * 10 + 60 + 1
    assert [reason.startswith("not JSON") for _, _, reason in letters.letters] == [True]
    assert (consumer.report.windows > 0) == (window > 0)
    history = asyncio.run(svc.races.history(1))
    assert history.racers[3][9] == output(Decimal(53), Decimal(10))
    # Every shard is checkpointed at its last record: a restarted consumer reads nothing.
    for shard in asyncio.run(stream.shards()):
        last = asyncio.run(stream.read(shard, None, 10_000))[-1].sequence_number
        assert asyncio.run(checkpoints.get("races", shard)) == last
    assert consume(svc, stream, checkpoints, window_seconds=window).report.records == 0


@pytest.mark.parametrize("window", [0.0, 0.05])
def test_transient_failures_are_retried_and_change_no_total(window: float) -> None:
    stream, checkpoints = InMemoryStream(shard_count=2), InMemoryCheckpoints()
    put_race(stream)

    class EveryThirdSaveFails(FlakyRaceStore):
        async def save(self, race: Any) -> Any:
            self.saves += 1
            if self.saves % 3 == 0:
                from domain.races.errors import RaceStoreUnavailableError

                raise RaceStoreUnavailableError("throttled")
            return await super(FlakyRaceStore, self).save(race)

    svc, _ = services(EveryThirdSaveFails())
    consumer = consume(svc, stream, checkpoints, window_seconds=window)
    assert consumer.report.retries > 0
    assert board(svc) == expected()
    live = asyncio.run(svc.races.live(1, RACE))
    assert all(racer.seen == sum(1 << s for s in range(1, 11)) for racer in live.racers.values())
