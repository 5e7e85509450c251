"""Races: ``aggregate_handler`` on in-memory adapters against the floor of reading the records.

(a) records per second of ``aggregate_handler`` (no tumbling window: it writes at the end of
    every batch) on 1,000-record Kinesis batches, one second of a 1,000-racer race each, vs
    the floor: only base64-decoding and JSON-parsing the same records. The figure is
    floor rate / handler rate (how many times slower than merely reading; target <= 4).
(b) wall time of a whole race, 1,000 racers x 300 seconds = 300,000 messages, through the
    handler into live boards, final results and class bests, beside the floor's time for the
    same records.

Rounds alternate handler and floor; medians are compared. Each handler round starts from
empty in-memory adapters.

    python -m bench.races [--rounds 5] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
from typing import Any

from adapters.memory.leaderboards import InMemoryLeaderboardStore
from adapters.memory.races import InMemoryHistoryStore, InMemoryLiveNotifier, InMemoryRaceStore
from adapters.memory.shared import InMemoryDeadLetters
from adapters.system.shared import SystemClock
from domain.leaderboards.service import LeaderboardService
from domain.races.model import RaceRules, message_json
from domain.races.service import RaceService
from entrypoints.aws_lambda.races import RaceHandlers
from entrypoints.composition import compose
from entrypoints.race_simulator import make_racers, race_messages
from entrypoints.settings import Settings

RACERS, RACE_SECONDS = 1000, 300


def events(seconds: int) -> list[dict[str, Any]]:
    """One Kinesis event per second of the race, 1,000 records each, as Lambda delivers."""
    rules = RaceRules()
    race_id = rules.slot(time.time_ns() // 1_000_000)
    batches = race_messages(make_racers(RACERS, 1), seconds, 1, race_id, 1)
    sequence = 0
    out = []
    for batch in batches:
        records = []
        for m in batch:
            sequence += 1
            data = base64.b64encode(message_json(m).encode()).decode()
            records.append({"kinesis": {"data": data, "sequenceNumber": f"{sequence:021d}"}})
        out.append({"Records": records})
    return out


def handler_seconds(batch_events: list[dict[str, Any]]) -> float:
    loop = asyncio.new_event_loop()
    clock = SystemClock()
    races = RaceService(
        InMemoryRaceStore(),
        InMemoryHistoryStore(),
        LeaderboardService(InMemoryLeaderboardStore(), clock),
        InMemoryLiveNotifier(),
        clock,
    )
    services = compose(Settings())
    services.races, services.dead_letters = races, InMemoryDeadLetters()
    handlers = RaceHandlers(services, loop.run_until_complete)
    start = time.perf_counter()
    for event in batch_events:
        answer = handlers.aggregate(event, None)
        assert answer == {"batchItemFailures": []}
    elapsed = time.perf_counter() - start
    loop.close()
    return elapsed


def floor_seconds(batch_events: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for event in batch_events:
        for record in event["Records"]:
            json.loads(base64.b64decode(record["kinesis"]["data"]))
    return time.perf_counter() - start


def compare(batch_events: list[dict[str, Any]], rounds: int) -> tuple[float, float]:
    handler, floor = [], []
    for _ in range(rounds):
        handler.append(handler_seconds(batch_events))
        floor.append(floor_seconds(batch_events))
    return statistics.median(handler), statistics.median(floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60, help="race seconds timed in (a)")
    args = parser.parse_args()

    part = events(args.seconds)
    records = sum(len(e["Records"]) for e in part)
    handler, floor = compare(part, args.rounds)
    print(f"(a) {records} records in batches of 1,000, median of {args.rounds} rounds")
    print(f"    aggregate_handler: {records / handler:,.0f} records/s ({handler:.3f} s)")
    print(f"    floor (decode + parse): {records / floor:,.0f} records/s ({floor:.3f} s)")
    print(f"    ratio handler time / floor time: {handler / floor:.2f} (target <= 4)")

    race = events(RACE_SECONDS)
    records = sum(len(e["Records"]) for e in race)
    handler, floor = compare(race, max(1, args.rounds // 2))
    print(f"(b) a whole race: {records} messages, {RACERS} racers x {RACE_SECONDS} s")
    print(f"    aggregate_handler: {handler:.2f} s wall; floor: {floor:.2f} s")


if __name__ == "__main__":
    main()
