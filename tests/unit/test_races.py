"""Races: every domain rule, on in-memory adapters."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.races import InMemoryHistoryStore, InMemoryLiveNotifier, InMemoryRaceStore
from domain.leaderboards.errors import LeaderboardStoreUnavailableError
from domain.leaderboards.model import Board, Entry, SubmitResult
from domain.leaderboards.service import LeaderboardService
from domain.races.errors import ClassNotFoundError, PoisonRecordError, RaceNotFoundError
from domain.races.model import LiveRace, RacerProgress, RaceRules, output, parse_message
from domain.races.service import RaceService
from tests.support.fakes import ManualClock

pytestmark = pytest.mark.anyio
RULES = RaceRules(race_seconds=10, classes=(1, 2), grace_seconds=5)
RACE = 100  # slot 100 of 10-second slots: 1000 s .. 1010 s after the epoch
IN_RACE = datetime.fromtimestamp(1005, UTC)


def msg(
    racer: int, second: int, cadence: Any = 80, resistance: Any = 78, **extra: Any
) -> dict[str, Any]:
    return {
        "classId": 1, "raceId": RACE, "racerId": racer, "second": second, "event": "update",
        "cadence": Decimal(str(cadence)), "resistance": Decimal(str(resistance)),
        "name": f"Racer {racer}", **extra,
    }  # fmt: skip


def service(clock: ManualClock | None = None) -> RaceService:
    clock = clock or ManualClock(IN_RACE)
    boards = LeaderboardService(InMemoryLeaderboardStore(), clock)
    return RaceService(
        InMemoryRaceStore(), InMemoryHistoryStore(), boards, InMemoryLiveNotifier(), clock, RULES
    )


def test_the_seed_example_and_exact_fractions() -> None:
    assert output(Decimal(80), Decimal(78)) == Decimal("164.45")
    # The reference simulator sends fractions: still exact, never through float.
    assert output(Decimal("80.5"), Decimal("78.25")) == Decimal("165.45375")  # 115.5 x 143.25 / 100


def test_a_copied_live_race_is_equal_and_independent() -> None:
    race = LiveRace(1, RACE)
    for second in (1, 2, 10):
        race.count(parse_message(msg(7, second), RULES), RULES)
    race.racers[7].submitted = Decimal("1.5")
    copied = race.copy()
    assert copied == race
    assert all(getattr(copied.racers[7], f.name) == getattr(race.racers[7], f.name)
               for f in fields(RacerProgress))  # fmt: skip
    copied.racers[7].total += 1
    assert copied != race


def test_slots_are_race_ids() -> None:
    rules = RaceRules()
    assert rules.slot(0) == 0
    assert rules.slot(299_999) == 0
    assert rules.slot(300_000) == 1
    assert rules.slot_end_ms(1) == 600_000
    assert not rules.past_grace(1, 629_999)
    assert rules.past_grace(1, 630_000)


def test_messages_like_the_reference_simulator_are_accepted() -> None:
    raw = msg(7, 3, cadence="90.7", resistance="12.25", deviceTimestamp=1, extra="ignored")
    parsed = parse_message(raw, RULES)
    assert (parsed.racer_id, parsed.second, parsed.uuid, parsed.final) == (7, 3, None, False)
    assert parsed.cadence == Decimal("90.7")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"classId": 9}, "classId"), ({"raceId": -1}, "raceId"), ({"second": 0}, "second"),
        ({"second": 11}, "second"), ({"cadence": Decimal(251)}, "cadence"),
        ({"resistance": Decimal(-1)}, "resistance"), ({"cadence": "80"}, "cadence"),
        ({"racerId": Decimal("1.5")}, "racerId"), ({"event": "start"}, "event"),
        ({"racerId": True}, "racerId"), ({"name": "x" * 129}, "name"),
    ],
)  # fmt: skip
def test_schema_violations_are_poison(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(PoisonRecordError, match=reason):
        parse_message({**msg(1, 1), **change}, RULES)
    with pytest.raises(PoisonRecordError):
        parse_message(["not", "an", "object"], RULES)


async def test_each_second_counts_once_in_any_order() -> None:
    messages = [msg(r, s, cadence=60 + r, resistance=s) for r in range(3) for s in range(1, 8)]
    doubled = messages + random.Random(3).sample(messages, 10)
    random.Random(5).shuffle(doubled)
    svc = service()
    first = await svc.ingest(doubled[:20])
    second = await svc.ingest(doubled[20:])
    assert first.duplicates + second.duplicates == 10
    race = await svc.live(1, RACE)
    for r in range(3):
        expected = sum(output(Decimal(60 + r), Decimal(s)) for s in range(1, 8))
        assert race.racers[r].total == expected
        assert race.racers[r].output == output(Decimal(60 + r), Decimal(7))
    assert race.second == 7


async def test_live_ranks_are_shared_by_totals_equal_in_cents_as_on_boards() -> None:
    svc = service()
    # 164.452875 and 164.45 are both 164.45 in cents: they share rank 2, as on the boards.
    await svc.ingest([msg(1, 1), msg(2, 1, cadence="80.05", resistance=78)])
    await svc.ingest([msg(3, 1, cadence=80, resistance="78.0025")])
    ranked = [(rank, r.racer_id, str(r.total)) for rank, r in (await svc.live(1, RACE)).standings()]
    assert ranked == [(1, 2, "164.5215"), (2, 3, "164.452875"), (2, 1, "164.45")]


async def test_rejected_messages_are_reported_and_the_rest_accepted() -> None:
    report = await service().ingest([msg(1, 1), {"bad": True}, msg(1, 99)])
    assert (report.accepted, report.rejected) == (1, 2)
    assert [index for index, _ in report.errors] == [1, 2]


async def test_a_final_event_or_the_last_second_finishes_a_racer() -> None:
    svc = service()
    await svc.ingest([msg(1, 1), msg(1, 2, event="final"), msg(2, 1), msg(2, 10), msg(3, 1)])
    race = await svc.live(1, RACE)
    assert [race.racers[r].finished for r in (1, 2, 3)] == [True, True, False]
    results = await svc.results(1, RACE, 10, 0)
    assert [(e.rank, e.entry.member) for e in results.entries] == [(1, "racer-1"), (1, "racer-2")]
    assert results.entries[0].entry.score == Decimal("328.90")  # 2 x 164.45
    assert dict(results.entries[0].entry.display) == {"name": "Racer 1"}


async def test_late_seconds_correct_results_and_class_bests_upward() -> None:
    svc = service()
    await svc.ingest([msg(1, 1), msg(1, 3, event="final")])
    await svc.ingest([msg(1, 2)])  # arrives after the racer finished
    (entry,) = (await svc.results(1, RACE, 10, 0)).entries
    assert entry.entry.score == Decimal("493.35")  # 3 x 164.45
    (best,) = (await svc.class_leaderboard(1, 10, 0)).entries
    assert best.entry.score == Decimal("493.35")


async def test_a_class_best_only_improves() -> None:
    clock = ManualClock(IN_RACE)
    svc = service(clock)
    await svc.ingest([msg(1, 1), msg(1, 2), msg(1, 10)])  # a strong race
    clock.advance(timedelta(seconds=10))
    weaker = [{**msg(1, s, cadence=10), "raceId": RACE + 1} for s in (1, 10)]
    await svc.ingest(weaker)
    (best,) = (await svc.class_leaderboard(1, 10, 0)).entries
    assert best.entry.score == Decimal("493.35")
    assert (await svc.results(1, RACE + 1, 10, 0)).entries[0].entry.score < best.entry.score


async def test_the_sweep_finishes_races_after_their_slot_and_grace() -> None:
    clock = ManualClock(IN_RACE)
    svc = service(clock)
    await svc.ingest([msg(1, 1), msg(2, 1), msg(2, 2)])
    assert await svc.sweep() == []  # still racing
    assert (await svc.results(1, RACE, 10, 0)).entries == []  # racing, none finished: empty
    clock.advance(timedelta(seconds=10))  # slot end (1010 s) + grace (5 s) passed
    (swept,) = await svc.sweep()
    assert swept.finished
    ranks = [(e.rank, e.entry.member) for e in (await svc.results(1, RACE, 10, 0)).entries]
    assert ranks == [(1, "racer-2"), (2, "racer-1")]
    assert await svc.sweep() == []  # nothing left to finish


class BoardsDown(InMemoryLeaderboardStore):
    """In-memory boards that refuse writes while ``down``."""

    down = False

    async def submit(self, board: Board, entries: Sequence[Entry]) -> list[SubmitResult]:
        if self.down:
            raise LeaderboardStoreUnavailableError("boards down")
        return await super().submit(board, entries)


async def test_the_sweep_puts_totals_an_outage_kept_off_the_boards_on_them() -> None:
    clock, boards = ManualClock(IN_RACE), BoardsDown()
    svc = RaceService(
        InMemoryRaceStore(), InMemoryHistoryStore(), LeaderboardService(boards, clock),
        InMemoryLiveNotifier(), clock, RULES,
    )  # fmt: skip
    await svc.ingest([msg(1, 1), msg(1, 2)])
    boards.down = True
    with pytest.raises(LeaderboardStoreUnavailableError):
        await svc.ingest([msg(1, 10)])  # finished and saved live, but not on the boards
    boards.down = False
    assert (await svc.live(1, RACE)).finished
    assert (await svc.class_leaderboard(1, 10, 0)).entries == []
    clock.advance(timedelta(seconds=10))  # past the grace
    (swept,) = await svc.sweep()
    assert swept.settled
    for page in (await svc.results(1, RACE, 10, 0), await svc.class_leaderboard(1, 10, 0)):
        assert [e.entry.score for e in page.entries] == [Decimal("493.35")]
    assert await svc.sweep() == []


async def test_messages_arriving_after_the_grace_finish_their_racer_at_once() -> None:
    clock = ManualClock(datetime.fromtimestamp(1020, UTC))
    svc = service(clock)
    await svc.ingest([msg(1, 4)])
    assert (await svc.live(1, RACE)).racers[1].finished


async def test_all_time_records_keep_the_best_output_per_second() -> None:
    svc = service()
    await svc.ingest([msg(1, 1, cadence=80), msg(1, 2, cadence=50)])
    await svc.ingest([{**msg(1, 1, cadence=60), "raceId": RACE + 1}, msg(1, 2, cadence=90)])
    history = await svc.history(1)
    assert history.racers[1][:3] == [
        output(Decimal(80), Decimal(78)),
        output(Decimal(90), Decimal(78)),
        None,
    ]
    assert history.updated_at > 0


async def test_unknown_races_and_classes_are_not_found() -> None:
    svc = service()
    with pytest.raises(RaceNotFoundError):
        await svc.live(1, RACE)
    with pytest.raises(RaceNotFoundError):
        await svc.results(1, RACE, 10, 0)
    with pytest.raises(ClassNotFoundError):
        await svc.class_leaderboard(7, 10, 0)
    assert (await svc.class_leaderboard(2, 10, 0)).entries == []
    assert (await svc.history(2)).racers == {}
