"""``portside simulate-race``: deterministic racers sending one message per second.

Each racer has its own cadence and resistance ranges (drawn from ``--seed``) and sends, every
second of the race, a message with values drawn from them, as fractions with two decimals
like the reference simulator, and ``event: final`` on the last second. A fraction
``--duplicates`` of the messages is sent a second time (in a later batch), as an
at-least-once device link would. ``race_messages`` is also what tests compute expected
results from.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO

from domain.races.model import DeviceMessage, RaceRules, message_json, race_key
from domain.races.stream import StreamRecord
from domain.shared.retry import Retry
from ports.races import StreamProducer

CENT = Decimal("0.01")
#: Tries of a batch the local server did not take (transport error or 5xx).
BATCH_RETRY = Retry(attempts=5, base=0.1, cap=5.0)


@dataclass(frozen=True, slots=True)
class Racer:
    racer_id: int
    name: str
    cadence: tuple[Decimal, Decimal]
    resistance: tuple[Decimal, Decimal]


def make_racers(count: int, seed: int) -> list[Racer]:
    rng = random.Random(seed)

    def span(
        low: float, high: float, width: tuple[float, float], most: int
    ) -> tuple[Decimal, Decimal]:
        start = rng.uniform(low, high)
        return _cents(start), _cents(min(most, start + rng.uniform(*width)))

    return [
        Racer(i, f"Racer {i}", span(40, 100, (10, 60), 250), span(5, 60, (5, 35), 100))
        for i in range(1, count + 1)
    ]


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def race_messages(
    racers: list[Racer], seconds: int, class_id: int, race_id: int, seed: int
) -> Iterator[list[DeviceMessage]]:
    """Every racer's message of each second, one list per second, in a per-second shuffled
    order (devices do not report in step)."""
    rng = random.Random(seed * 7919 + race_id)
    for second in range(1, seconds + 1):
        batch = []
        for racer in racers:
            (c_low, c_high), (r_low, r_high) = racer.cadence, racer.resistance
            batch.append(
                DeviceMessage(
                    class_id=class_id,
                    race_id=race_id,
                    racer_id=racer.racer_id,
                    second=second,
                    cadence=_cents(rng.uniform(float(c_low), float(c_high))),
                    resistance=_cents(rng.uniform(float(r_low), float(r_high))),
                    final=second == seconds,
                    name=racer.name,
                    uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                )
            )
        rng.shuffle(batch)
        yield batch


@dataclass
class Summary:
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    retried: int = 0
    failed: int = 0

    def line(self) -> str:
        return (
            f"sent {self.sent}, accepted {self.accepted}, rejected {self.rejected}, "
            f"retried {self.retried}, failed {self.failed}"
        )


class LocalTarget:
    """POSTs each batch to ``<url>/races/events``, retrying transport errors and 5xx."""

    def __init__(self, url: str) -> None:
        import httpx

        self._http = httpx.Client(base_url=url, timeout=30.0)
        self._errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    def send(self, batch: list[DeviceMessage], summary: Summary) -> None:
        body = "[" + ",".join(message_json(m) for m in batch) + "]"
        for attempt in range(BATCH_RETRY.attempts):
            try:
                answer = self._http.post(
                    "/races/events", content=body, headers={"content-type": "application/json"}
                )
                if answer.status_code < 500:
                    break
            except self._errors:
                pass
            if attempt + 1 < BATCH_RETRY.attempts:
                summary.retried += len(batch)
                BATCH_RETRY.pause_blocking(attempt)
        else:
            summary.failed += len(batch)
            return
        summary.sent += len(batch)
        if answer.status_code == 202:
            report: dict[str, Any] = answer.json()
            summary.accepted += report["accepted"]
            summary.rejected += report["rejected"]
        else:
            summary.rejected += len(batch)

    def close(self) -> None:
        self._http.close()


class StreamTarget:
    """Puts each batch on the race stream, partitioned by race or at random."""

    def __init__(self, producer: StreamProducer, run: Any, partition: str) -> None:
        self._producer = producer
        self._run = run
        self._partition = partition

    def send(self, batch: list[DeviceMessage], summary: Summary) -> None:
        records = [
            StreamRecord(
                race_key(m.class_id, m.race_id) if self._partition == "race" else uuid.uuid4().hex,
                message_json(m).encode(),
            )
            for m in batch
        ]
        report = self._run(self._producer.put(records))
        summary.sent += report.sent
        summary.accepted += report.sent
        summary.retried += report.retried
        summary.failed += report.failed

    def close(self) -> None:
        return None


def simulate(
    target: LocalTarget | StreamTarget,
    rules: RaceRules,
    *,
    racers: int,
    seconds: int,
    class_id: int,
    seed: int,
    speed: float,
    duplicates: float,
    out: TextIO = sys.stdout,
    progress: TextIO = sys.stderr,
) -> Summary:
    """Run one race against ``target``; prints the race id first and the summary last."""
    race_id = rules.slot(time.time_ns() // 1_000_000)
    print(
        json.dumps({"classId": class_id, "raceId": race_id, "racers": racers, "seconds": seconds}),
        file=out,
        flush=True,
    )
    summary = Summary()
    rng = random.Random(seed * 104729)
    held: list[DeviceMessage] = []  # duplicates, re-sent with the next second's batch
    started = time.monotonic()
    try:
        messages = race_messages(make_racers(racers, seed), seconds, class_id, race_id, seed)
        for second, batch in enumerate(messages, start=1):
            if speed > 0:
                time.sleep(max(0.0, started + (second - 1) / speed - time.monotonic()))
            outgoing = held + batch
            held = [m for m in batch if rng.random() < duplicates]
            target.send(outgoing, summary)
            _bar(progress, second, seconds)
        if held:
            target.send(held, summary)
    finally:
        target.close()
    print(file=progress, flush=True)
    print(f"race {race_id} of class {class_id}: {summary.line()}", file=out, flush=True)
    return summary


def _bar(stream: TextIO, done: int, total: int, width: int = 40) -> None:
    filled = width * done // total
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} s")
    stream.flush()
