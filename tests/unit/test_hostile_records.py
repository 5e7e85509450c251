"""The hostile values of the HTTP tests, as Kinesis, Firehose, S3 and SNS records through the
Lambda handlers: each is dead-lettered with its reason, the batch is not failed, and every
other racer and player comes out right. One race or order that fails never stops a sweep,
a recovery or the other races of a batch."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.memory.races import InMemoryRaceStore
from domain.races.model import LiveRace
from domain.trivia.progress import Progress
from entrypoints.aws_lambda import archives
from tests.unit.test_race_handlers import World, record
from tests.unit.test_races import RACE, RULES, msg
from tests.unit.test_trivia_handlers import handlers, sns
from tests.unit.test_trivia_progress import service

GOOD = json.dumps({**msg(1, 1), "cadence": 80, "resistance": 78})


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    w.loop.close()


def hostile_messages() -> list[tuple[str, bytes]]:
    """(what, JSON text): the hostile classes, each inside an otherwise good message."""

    def spliced(field: str, literal: str) -> bytes:
        return GOOD.replace(f'"{field}": ', f'"{field}": {literal}, "x{field}": ', 1).encode()

    return [
        ("lone surrogate", GOOD.replace('"Racer 1"', '"\\ud800"').encode()),
        ("1e300000", spliced("cadence", "1e300000")),
        ("5,000-digit racer id", spliced("racerId", "9" * 5000)),
        ("duplicate key", spliced("second", '2, "second": 3')),
        ("nesting", GOOD.replace('"Racer 1"', "[" * 1000 + "]" * 1000).encode()),
        (
            "not UTF-8",
            GOOD.replace("Racer 1", "Racer \udcff", 1).encode("utf-8", "surrogateescape"),
        ),
        ("too large", GOOD.replace("Racer 1", "x" * 10_000).encode()),
        ("NaN", spliced("resistance", "NaN")),
    ]


def test_hostile_kinesis_records_are_dead_lettered_and_the_batch_goes_on(world: World) -> None:
    bad = hostile_messages()
    records = [record(GOOD.encode(), 0)]
    records += [record(data, i) for i, (_, data) in enumerate(bad, start=1)]
    records.append(record(json.dumps({**msg(2, 1), "cadence": 80, "resistance": 78}).encode(), 99))
    answer = world.handlers.aggregate({"Records": records}, None)
    assert answer == {"batchItemFailures": []}
    assert len(world.dead_letters.letters) == len(bad)
    assert all(source == "races.aggregate" for source, _, _ in world.dead_letters.letters)
    race = world.run(world.races.live(1, RACE))
    assert set(race.racers) == {1, 2}
    assert race.racers[1].total == race.racers[2].total == Decimal("164.45")


def test_hostile_firehose_records_fail_alone(world: World) -> None:
    bad = hostile_messages()
    records = [{"recordId": f"r{i}", "data": record(data, i)["kinesis"]["data"]}
               for i, (_, data) in enumerate([("good", GOOD.encode()), *bad])]  # fmt: skip
    answer = world.handlers.firehose_transform({"records": records}, None)
    results = [r["result"] for r in answer["records"]]
    assert results == ["Ok"] + ["ProcessingFailed"] * len(bad)


def test_hostile_archive_lines_are_dead_lettered_and_a_bomb_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [GOOD.encode(), *(data for _, data in hostile_messages())]
    world.archive.objects[("archive", "good.gz")] = gzip.compress(b"\n".join(lines) + b"\n")
    # A gzip bomb: small when compressed, past the archive limit (here 1 MB) when inflated.
    monkeypatch.setattr(archives, "MAX_ARCHIVE_BYTES", 1024 * 1024)
    world.archive.objects[("archive", "bomb.gz")] = gzip.compress(b"\n" * 3 * 1024 * 1024)
    event = {"Records": [{"s3": {"bucket": {"name": "archive"}, "object": {"key": key}}}
                         for key in ("bomb.gz", "good.gz")]}  # fmt: skip
    assert world.handlers.history(event, None) == {"merged": 1}
    reasons = [reason for _, _, reason in world.dead_letters.letters]
    assert sum("good.gz:" in r for r in reasons) == len(hostile_messages())
    assert any("bomb.gz" in r and "inflates" in r for r in reasons)
    history = world.run(world.races.history(1))
    assert history.racers[1][0] == Decimal("164.45")


def test_hostile_sns_events_are_dead_lettered_and_good_ones_counted(tmp_path: Path) -> None:
    trivia, _ = service()
    on, letters, loop = handlers(trivia, tmp_path)
    good = {"eventId": "g1", "name": "trivia.experience-earned", "quizId": "demo-2",
            "player": "ann", "author": "portside", "experience": 3, "achievedAt": 1}  # fmt: skip
    text = json.dumps(good)
    hostile = [
        text.replace('"ann"', '"\\ud800"'),
        text.replace('"experience": 3', '"experience": 1e300000'),
        text.replace('"experience": 3', '"experience": ' + "9" * 5000),
        text.replace('"player": "ann"', '"player": "ann", "player": "bob"'),
        text.replace('"ann"', "[" * 1000 + "]" * 1000),
        text.replace('"experience": 3', '"experience": 3.5'),
        text.replace('"experience": 3', '"experience": true'),
    ]
    for number, message in enumerate(hostile):
        assert on.progress(sns(message.replace('"g1"', f'"h{number}"')), None) == {"handled": 0}
    assert on.progress(sns(text), None) == {"handled": 1}
    assert len(letters.letters) == len(hostile)
    assert loop.run_until_complete(trivia.progress("ann")) == Progress("ann", 3)
    loop.close()


class OneBadRace(InMemoryRaceStore):
    """Fails, with an error nobody expects, every save of one race."""

    def __init__(self, bad: int) -> None:
        super().__init__()
        self.bad = bad
        self.armed = False

    async def save(self, race: LiveRace) -> LiveRace:
        if self.armed and race.race_id == self.bad:
            raise RuntimeError("a defect that only this race meets")
        return await super().save(race)


def test_a_race_that_fails_never_stops_the_sweep_of_the_others() -> None:
    store = OneBadRace(RACE)
    w = World(store)
    for race_id in (RACE, RACE + 1):
        w.run(w.races.ingest([{**msg(1, 1), "raceId": race_id}]))
    store.armed = True
    w.clock.advance(timedelta(seconds=RULES.race_seconds * 2 + RULES.grace_seconds))
    swept = w.run(w.races.sweep())
    assert [race.race_id for race in swept] == [RACE + 1]  # the bad one is left for next time
    assert w.run(w.races.live(1, RACE + 1)).finished
    w.loop.close()


def test_a_race_that_fails_is_dead_lettered_and_the_batch_goes_on() -> None:
    store = OneBadRace(RACE)
    store.armed = True
    w = World(store)
    records = [
        record({**msg(1, 1), "raceId": RACE}, 1),
        record({**msg(1, 1), "raceId": RACE + 1}, 2),
    ]
    assert w.handlers.aggregate({"Records": records}, None) == {"batchItemFailures": []}
    ((source, payload, reason),) = w.dead_letters.letters
    assert source == "races.aggregate"
    assert json.loads(payload)["raceId"] == RACE
    assert "a defect that only this race meets" in reason
    assert w.run(w.races.live(1, RACE + 1)).racers[1].total == Decimal("164.45")
    w.loop.close()
