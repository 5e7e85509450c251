"""The races Lambda handlers on in-memory adapters, driven with Lambda's event shapes."""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.dynamodb.races import live_item
from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.races import (
    InMemoryArchive,
    InMemoryHistoryStore,
    InMemoryLiveNotifier,
    InMemoryRaceStore,
)
from adapters.memory.shared import InMemoryDeadLetters
from domain.leaderboards.service import LeaderboardService
from domain.races.errors import RaceStoreUnavailableError
from domain.races.model import LiveRace, RaceRules
from domain.races.service import RaceService
from entrypoints import aws_lambda
from entrypoints.aws_lambda.races import RaceHandlers, TransientFailure
from tests.support.composing import composition_with
from tests.support.fakes import ManualClock
from tests.unit.test_races import IN_RACE, RACE, RULES, msg

EVENTS = Path(__file__).parents[1] / "events"


class FlakyRaceStore(InMemoryRaceStore):
    """Fails the ``fail_at``-th save of every invocation (counted from ``reset``)."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__()
        self.fail_at, self.saves = fail_at, 0

    def reset(self) -> None:
        self.saves = 0

    async def save(self, race: LiveRace) -> LiveRace:
        self.saves += 1
        if self.saves == self.fail_at:
            raise RaceStoreUnavailableError("throttled")
        return await super().save(race)


class World:
    def __init__(self, store: InMemoryRaceStore | None = None, rules: RaceRules = RULES) -> None:
        self.clock = ManualClock(IN_RACE)
        self.store = store or InMemoryRaceStore()
        self.history = InMemoryHistoryStore()
        self.notifier = InMemoryLiveNotifier()
        self.dead_letters = InMemoryDeadLetters()
        self.archive = InMemoryArchive()
        boards = LeaderboardService(InMemoryLeaderboardStore(), self.clock)
        self.races = RaceService(self.store, self.history, boards, self.notifier, self.clock, rules)
        services = composition_with(races=self.races, dead_letters=self.dead_letters)
        self.loop = asyncio.new_event_loop()
        self.handlers = RaceHandlers(services, self.loop.run_until_complete, self.archive)

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work)


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    w.loop.close()


def record(data: dict[str, Any] | bytes | str, seq: int) -> dict[str, Any]:
    raw = data if isinstance(data, bytes) else json.dumps(data, default=float).encode()
    encoded = data if isinstance(data, str) else base64.b64encode(raw).decode()
    return {"kinesis": {"data": encoded, "sequenceNumber": f"{seq:05d}", "partitionKey": "p"}}


def test_seed_003_custom_checkpoints_retry_only_the_failed_suffix() -> None:
    # Seed 003: a batch of 10 where the fourth item of every invocation fails is retried as
    # 4-10, then 7-10, then 10 alone; items before a reported failure are not seen again.
    store = FlakyRaceStore(fail_at=4)
    # Ten races of the last ten slots, none past its grace yet: one save each.
    w = World(store, replace(RULES, grace_seconds=1000))
    records = [record({**msg(1, 1), "raceId": RACE - i}, i) for i in range(1, 11)]
    batches, pending = [], records
    while pending:
        batches.append([r["kinesis"]["sequenceNumber"] for r in pending])
        store.reset()
        answer = w.handlers.aggregate({"Records": pending}, None)
        failures = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
        checkpoint = min(failures) if failures else None
        pending = [
            r for r in pending if checkpoint and r["kinesis"]["sequenceNumber"] >= checkpoint
        ]
    assert [b[0] for b in batches] == ["00001", "00004", "00007", "00010"]
    assert [len(b) for b in batches] == [10, 7, 4, 1]
    for i in range(1, 11):
        race = w.run(w.races.live(1, RACE - i))
        assert race.racers[1].total == Decimal("164.45")  # stored exactly once
        assert race.duplicates == 0
    w.loop.close()


def test_poison_records_are_dead_lettered_and_never_block(world: World) -> None:
    records = [
        record(msg(1, 1), 1),
        record("not base64!", 2),
        record(b"{not json", 3),
        record({**msg(1, 2), "second": 99}, 4),
        record(msg(1, 3), 5),
    ]
    answer = world.handlers.aggregate({"Records": records}, None)
    assert answer == {"batchItemFailures": []}
    sources = [(s, p) for s, p, _ in world.dead_letters.letters]
    assert sources == [("races.aggregate", r["kinesis"]["data"]) for r in records[1:4]]
    assert "second" in world.dead_letters.letters[2][2]
    race = world.run(world.races.live(1, RACE))
    assert race.racers[1].total == Decimal("328.90")  # seconds 1 and 3


def test_when_dead_letters_are_down_the_poison_record_is_retried(world: World) -> None:
    class Down(InMemoryDeadLetters):
        async def send(self, source: str, payload: str, reason: str) -> None:
            raise RaceStoreUnavailableError("queue down")

    handlers = RaceHandlers(
        composition_with(races=world.races, dead_letters=Down()),
        world.loop.run_until_complete,
    )
    records = [record(msg(1, 1), 1), record(b"{", 2), record(msg(1, 2), 3)]
    answer = handlers.aggregate({"Records": records}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "00002"}]}
    race = world.run(world.races.live(1, RACE))
    assert race.racers[1].total == Decimal("164.45")  # what came before it is stored


def test_a_transient_store_failure_reports_the_batch_and_a_retry_changes_nothing() -> None:
    store = FlakyRaceStore(fail_at=1)
    w = World(store)
    records = [record(msg(1, s), s) for s in range(1, 4)]
    assert w.handlers.aggregate({"Records": records}, None) == {
        "batchItemFailures": [{"itemIdentifier": "00001"}]
    }
    assert w.handlers.aggregate({"Records": records}, None) == {"batchItemFailures": []}
    assert w.handlers.aggregate({"Records": records}, None) == {"batchItemFailures": []}
    race = w.run(w.races.live(1, RACE))
    assert race.racers[1].total == 3 * Decimal("164.45")
    assert race.duplicates == 3  # the redelivered batch
    w.loop.close()


def window_event(
    records: list[dict[str, Any]], state: dict[str, Any], final: bool
) -> dict[str, Any]:
    event = json.loads((EVENTS / "kinesis_races_window.json").read_text())
    event.update(Records=records, state=state, isFinalInvokeForWindow=final)
    return event


def test_tumbling_window_keeps_state_and_writes_only_on_the_final_invoke(world: World) -> None:
    fixture = json.loads((EVENTS / "kinesis_races_window.json").read_text())
    answer = world.handlers.aggregate(fixture, None)  # the fixture: racer 7, second 1
    assert answer["batchItemFailures"] == []
    state = answer["state"]
    answer = world.handlers.aggregate(
        window_event([record(msg(7, 2), 2), record(msg(7, 1), 3)], state, False), None
    )
    assert world.run(world.store.live(1, RACE)) is None  # nothing written inside the window
    final = world.handlers.aggregate(window_event([], answer["state"], True), None)
    assert final == {"state": {"pending": "[]"}, "batchItemFailures": []}
    race = world.run(world.races.live(1, RACE))
    assert race.racers[7].total == 2 * Decimal("164.45")
    assert race.duplicates == 1  # second 1 came twice within the window


def test_a_window_flushes_early_before_the_state_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_lambda.races, "STATE_LIMIT", 200)
    records = [record(msg(r, 1), r) for r in range(1, 11)]
    answer = world.handlers.aggregate(window_event(records, {}, False), None)
    assert answer["state"] == {"pending": "[]"}
    assert len(world.run(world.races.live(1, RACE)).racers) == 10


def test_a_failed_final_flush_is_retried_with_the_same_state() -> None:
    store = FlakyRaceStore(fail_at=1)
    w = World(store)
    state = w.handlers.aggregate(window_event([record(msg(1, 1), 1)], {}, False), None)["state"]
    with pytest.raises(TransientFailure):
        w.handlers.aggregate(window_event([], state, True), None)
    w.handlers.aggregate(window_event([], state, True), None)  # Lambda's retry
    assert w.run(w.races.live(1, RACE)).racers[1].total == Decimal("164.45")
    w.loop.close()


def test_firehose_transform_adds_the_exact_output(world: World) -> None:
    event = json.loads((EVENTS / "firehose_races.json").read_text())
    answer = world.handlers.firehose_transform(event, None)
    assert [r["recordId"] for r in answer["records"]] == ["record1", "record2"]
    ok, failed = answer["records"]
    assert ok["result"] == "Ok"
    line = base64.b64decode(ok["data"]).decode()
    assert line.endswith("}\n")
    assert json.loads(line, parse_float=Decimal)["output"] == Decimal("164.45")
    assert failed == {
        "recordId": "record2", "result": "ProcessingFailed", "data": event["records"][1]["data"]
    }  # fmt: skip


def test_history_handler_merges_a_delivered_object_by_maximum(world: World) -> None:
    lines = [
        json.dumps(msg(1, 1, cadence=80), default=float),
        json.dumps(msg(1, 1, cadence=60), default=float),  # lower: not a record
        "not json",
        json.dumps(msg(2, 3, cadence="90.5"), default=float),
    ]
    world.archive.objects[("races-archive", "2026/11/23/12/races archive-1.gz")] = gzip.compress(
        "\n".join(lines).encode()
    )
    event = json.loads((EVENTS / "s3_races_archive.json").read_text())
    assert world.handlers.history(event, None) == {"merged": 3}
    world.handlers.history(event, None)  # delivered twice: max is idempotent
    history = world.run(world.races.history(1))
    assert history.racers[1][0] == Decimal("164.45")
    assert history.racers[2][2] == Decimal("179.465")  # 125.5 x 143 / 100
    letters = [d for d in world.dead_letters.letters if "races archive-1.gz:3" in d[2]]
    assert [base64.b64decode(payload) for _, payload, _ in letters] == [b"not json"] * 2


def test_publish_handler_pushes_live_items_from_the_table_stream(world: World) -> None:
    world.run(world.races.ingest([msg(1, 1), msg(2, 1, cadence=90)]))
    race = world.run(world.races.live(1, RACE))
    image = copy.deepcopy(live_item(race))
    image["racers"] = {"B": base64.b64encode(image["racers"]["B"]).decode()}
    other = {"PK": {"S": "race-1-100"}, "SK": {"S": "racer-1"}, "GSI": {"N": "1"}}
    event = {
        "Records": [
            {"eventName": "MODIFY", "dynamodb": {"NewImage": other, "SequenceNumber": "1"}},
            {"eventName": "MODIFY", "dynamodb": {"NewImage": image, "SequenceNumber": "2"}},
            {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "3"}},
        ]
    }
    assert world.handlers.publish(event, None) == {"batchItemFailures": []}
    pushed = world.notifier.latest[(1, RACE)]
    assert [r.racer_id for _, r in pushed.standings()] == [2, 1]
    assert pushed.racers[1].total == Decimal("164.45")


def test_sweep_handler_finishes_races_past_their_grace(world: World) -> None:
    world.run(world.races.ingest([msg(1, 1), msg(2, 1)]))
    assert world.handlers.sweep({}, None) == {"finished": []}
    world.clock.advance(timedelta(seconds=10))  # slot end (1010 s) + 5 s grace
    assert world.handlers.sweep({}, None) == {"finished": [f"race-1-{RACE}"]}
    results = world.run(world.races.results(1, RACE, 10, 0))
    assert results.total == 2
