"""Use cases: ingest device messages, finish races, read live boards, results and records."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from domain.leaderboards.errors import BoardNotFoundError
from domain.leaderboards.model import Page, Policy
from domain.leaderboards.service import LeaderboardService, Submission
from domain.races.errors import (
    ClassNotFoundError,
    PoisonRecordError,
    RaceNotFoundError,
    RaceStoreUnavailableError,
    StaleRaceError,
)
from domain.races.model import (
    LATE_DAYS,
    ClassHistory,
    DeviceMessage,
    LiveRace,
    RaceRules,
    class_key,
    member,
    message_json,
    parse_message,
    race_key,
    to_cents,
)
from domain.races.stream import StreamRecord
from domain.shared.decoding import JsonValue, UndecodableError
from domain.shared.retry import Retry
from domain.shared.time import to_millis
from ports.races import HistoryStore, LiveNotifier, RaceStore, StreamProducer
from ports.shared import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Tries of a read-change-save that lost to a concurrent save (the version moved on).
CONFLICT_RETRY = Retry(attempts=20, base=0.001, cap=0.05)
#: One item of a batch of device messages, as the bounded decoder gives it.
Item = JsonValue | UndecodableError


@dataclass
class IngestReport:
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class RaceService:
    """The Alleycat pipeline's use cases, the same for every entrypoint."""

    def __init__(
        self,
        races: RaceStore,
        history: HistoryStore,
        boards: LeaderboardService,
        notifier: LiveNotifier,
        clock: Clock,
        rules: RaceRules | None = None,
    ) -> None:
        self._races = races
        self._history = history
        self._boards = boards
        self._notifier = notifier
        self._clock = clock
        self.rules = rules or RaceRules()

    def refusal(self, message: DeviceMessage, now_ms: int | None = None) -> str | None:
        """Why a valid message is not taken now (its race is not one of the last
        ``LATE_DAYS`` days or the next slot), or None; ``now_ms`` (from ``now_ms()``) saves
        reading the clock for every message of a batch."""
        if self.rules.admits(message.race_id, self.now_ms() if now_ms is None else now_ms):
            return None
        return f"raceId: not a race of the last {LATE_DAYS} days or the next slot"

    def parse(self, raw: Iterable[Item]) -> tuple[list[DeviceMessage], IngestReport]:
        """Valid messages of a decoded batch, and a report naming each rejected one by index
        (one that could not even be decoded is its UndecodableError): one bad message never
        rejects its neighbours. A batch carries messages of at most two races per class
        (the current and the previous one); messages of further races are rejected, so no
        batch costs more than a few races' work."""
        report, messages, now_ms = IngestReport(), [], self.now_ms()
        races: set[tuple[int, int]] = set()
        most = 2 * len(self.rules.classes)
        for index, item in enumerate(raw):
            try:
                if isinstance(item, UndecodableError):
                    raise PoisonRecordError(item.reason)
                message = parse_message(item, self.rules)
                refused = self.refusal(message, now_ms)
                race = (message.class_id, message.race_id)
                if refused is None and race not in races and len(races) == most:
                    refused = f"raceId: more than {most} races in one batch"
                if refused is not None:
                    raise PoisonRecordError(refused)
                races.add(race)
                messages.append(message)
            except PoisonRecordError as exc:
                report.rejected += 1
                report.errors.append((index, str(exc)))
        report.accepted = len(messages)
        return messages, report

    async def ingest(self, raw: Iterable[Item]) -> IngestReport:
        """Validate and apply a batch of device messages (the local and IoT path)."""
        messages, report = self.parse(raw)
        report.duplicates = await self.apply(messages)
        await self.record_history(messages)
        return report

    async def apply(self, messages: Sequence[DeviceMessage]) -> int:
        """Count the messages into their races, finish racers whose race is over, and write
        their totals to the result and class boards; returns the duplicates seen."""
        by_race: dict[tuple[int, int], list[DeviceMessage]] = defaultdict(list)
        for m in messages:
            by_race[(m.class_id, m.race_id)].append(m)
        duplicates = 0
        for (class_id, race_id), batch in by_race.items():

            def change(race: LiveRace, batch: list[DeviceMessage] = batch) -> None:
                for m in batch:
                    race.count(m, self.rules)
                if self.rules.past_grace(race.race_id, self.now_ms()):
                    race.finish_all()

            before, race = await self._update(class_id, race_id, change)
            duplicates += race.duplicates - before
            await asyncio.sleep(0)  # between races, let the other requests of this loop in
        return duplicates

    async def sweep(self) -> list[LiveRace]:
        """Finish every race whose slot and grace have passed, and put totals that an outage
        kept off the boards on them (scheduled). A race that fails is logged and left for the
        next sweep; it never stops the others."""
        swept = []
        for race in await self._races.unfinished():
            if not self.rules.past_grace(race.race_id, self.now_ms()):
                continue
            try:
                _, done = await self._update(race.class_id, race.race_id, LiveRace.finish_all)
            except Exception:  # whatever it is, the other races are still finished
                log.exception("sweep of %s failed", race_key(race.class_id, race.race_id))
                continue
            swept.append(done)
            await asyncio.sleep(0)  # a long sweep never holds the other requests up
        return swept

    async def announce(self, race: LiveRace) -> None:
        """Push a live board to watching clients (on AWS, for each change of a live item)."""
        await self._notifier.publish(race)

    async def record_history(self, messages: Sequence[DeviceMessage]) -> None:
        """Merge messages into the all-time per-second records of their classes."""
        by_class: dict[int, list[DeviceMessage]] = defaultdict(list)
        for m in messages:
            by_class[m.class_id].append(m)
        for class_id, batch in by_class.items():
            for attempt in range(CONFLICT_RETRY.attempts):
                history, version = await self._history.load(class_id)
                history = history or ClassHistory(class_id, self.rules.race_seconds)
                if not history.merge(batch):
                    break
                history.updated_at = self.now_ms()
                try:
                    await self._history.save(history, version)
                    break
                except StaleRaceError:
                    await CONFLICT_RETRY.pause(attempt)
            else:
                raise StaleRaceError(f"class {class_id} history kept changing")

    # -- reads ------------------------------------------------------------------------------

    async def live(self, class_id: int, race_id: int) -> LiveRace:
        self._check_class(class_id)
        race = await self._races.live(class_id, race_id)
        if race is None:
            raise RaceNotFoundError(class_id, race_id)
        return race

    async def current_live(self, class_id: int) -> LiveRace:
        """The live board of the class's race now: the current slot's, else the previous
        slot's while it may still finish, else the current slot's empty board."""
        self._check_class(class_id)
        now = self.now_ms()
        race_id = self.rules.slot(now)
        race = await self._races.live(class_id, race_id)
        if race is None and race_id > 0 and not self.rules.past_grace(race_id - 1, now):
            race = await self._races.live(class_id, race_id - 1)
        return race or LiveRace(class_id, race_id)

    async def forward(self, raw: Iterable[Item], stream: StreamProducer) -> IngestReport:
        """Validate device messages and put the valid ones on the race stream (partitioned by
        race), for the stream consumer to aggregate; RaceStoreUnavailableError if
        any could not be put."""
        messages, report = self.parse(raw)
        records = [
            StreamRecord(race_key(m.class_id, m.race_id), message_json(m).encode())
            for m in messages
        ]
        put = await stream.put(records)
        if put.failed:
            raise RaceStoreUnavailableError(
                f"{put.failed} of {len(records)} messages could not be put on the race stream."
            )
        return report

    async def results(self, class_id: int, race_id: int, limit: int, offset: int) -> Page:
        self._check_class(class_id)
        try:
            return await self._boards.page(race_key(class_id, race_id), limit, offset)
        except BoardNotFoundError:
            if await self._races.live(class_id, race_id) is None:
                raise RaceNotFoundError(class_id, race_id) from None
            return Page(race_key(class_id, race_id), [], None, 0)  # racing, none finished

    async def class_leaderboard(self, class_id: int, limit: int, offset: int) -> Page:
        self._check_class(class_id)
        try:
            return await self._boards.page(class_key(class_id), limit, offset)
        except BoardNotFoundError:
            return Page(class_key(class_id), [], None, 0)

    async def history(self, class_id: int) -> ClassHistory:
        self._check_class(class_id)
        stored, _ = await self._history.load(class_id)
        return stored or ClassHistory(class_id, self.rules.race_seconds)

    # -- helpers ----------------------------------------------------------------------------

    async def _update(
        self, class_id: int, race_id: int, change: Callable[[LiveRace], None]
    ) -> tuple[int, LiveRace]:
        """Read, change and save the live race (retried on a concurrent save), then write
        finished racers to the boards; returns the duplicates before the change too."""
        for attempt in range(CONFLICT_RETRY.attempts):
            race = await self._races.live(class_id, race_id) or LiveRace(class_id, race_id)
            before = race.duplicates
            change(race)
            try:
                race = await self._races.save(race)
                break
            except StaleRaceError:
                await CONFLICT_RETRY.pause(attempt)
        else:
            raise StaleRaceError(f"{race_key(class_id, race_id)} kept changing")
        await self._submit_finished(race)
        return before, race

    async def _submit_finished(self, race: LiveRace) -> None:
        finished = [r for r in race.racers.values() if r.to_submit]
        if not finished:
            return
        results, best = race_key(race.class_id, race.race_id), class_key(race.class_id)
        for board in (results, best):
            await self._boards.create_board(board, Policy.BEST)
        submissions = [
            Submission(member(r.racer_id), to_cents(r.total), {"name": r.name} if r.name else {})
            for r in finished
        ]
        # Totals only grow, so BEST corrects a result upward when late seconds arrive, and a
        # class best only improves; re-submitting after a crash changes nothing.
        await self._boards.submit_many(results, submissions)
        await self._boards.submit_many(best, submissions)
        for r in finished:
            r.submitted = r.total
        await self._mark_submitted(race)

    async def _mark_submitted(self, race: LiveRace) -> None:
        totals = {r.racer_id: r.submitted for r in race.racers.values()}
        for attempt in range(CONFLICT_RETRY.attempts):
            try:
                await self._races.save(race)
                return
            except StaleRaceError:
                await CONFLICT_RETRY.pause(attempt)
                fresh = await self._races.live(race.class_id, race.race_id)
                assert fresh is not None
                for racer_id, total in totals.items():
                    if racer_id in fresh.racers and fresh.racers[racer_id].total == total:
                        fresh.racers[racer_id].submitted = total
                race = fresh

    def _check_class(self, class_id: int) -> None:
        if class_id not in self.rules.classes:
            raise ClassNotFoundError(class_id)

    def now_ms(self) -> int:
        """The service clock's time, epoch milliseconds."""
        return to_millis(self._clock.now())
