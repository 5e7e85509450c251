"""Applying a batch of device messages read from the race stream, whatever carried it.

The Kinesis Lambda handler decodes its event into payloads and calls this; the container's
stream consumer reads its stream port and calls the same code. A payload that is not a valid
message (or names a race not taken now) goes to the dead letters and never blocks the batch;
a race whose store is unavailable stops the batch there, and the caller retries the suffix
from ``first_undone`` (every write is idempotent, so a retry changes nothing).
"""

from __future__ import annotations

import base64
import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.races.errors import PoisonRecordError, StaleRaceError
from domain.races.model import DeviceMessage, decode_message, message_json
from domain.races.service import RaceService
from domain.shared.errors import UnavailableError
from ports.shared import DeadLetters

log = logging.getLogger(__name__)

#: The dead letters' source of the stream's records.
AGGREGATE_SOURCE = "races.aggregate"


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A record the transport could not even unwrap (for example bad base64): dead-lettered
    as ``payload`` with ``reason``."""

    payload: str
    reason: str


@dataclass(slots=True)
class Admitted:
    """The valid messages of a batch, each with its index, and ``stop``: the index of the
    first record not looked at because the dead letters were down (the batch's length when
    every record was looked at)."""

    messages: list[tuple[int, DeviceMessage]]
    stop: int

    def first_undone(self, stored: set[int]) -> int:
        """The index from which the batch is to be retried, given the stored indexes."""
        return min([i for i, _ in self.messages if i not in stored] + [self.stop])


class DeviceBatches:
    """Admits and stores batches of stream records for one race service."""

    def __init__(self, races: RaceService, dead_letters: DeadLetters) -> None:
        self._races = races
        self._dead_letters = dead_letters

    async def admit(self, payloads: Sequence[bytes | Undecodable]) -> Admitted:
        """Decode every payload; poison and refused ones are dead-lettered with the reason."""
        messages: list[tuple[int, DeviceMessage]] = []
        now_ms = self._races.now_ms()  # once per batch, not per message
        for index, payload in enumerate(payloads):
            try:
                if isinstance(payload, Undecodable):
                    raise PoisonRecordError(payload.reason)
                message = decode_message(payload, self._races.rules)
                refused = self._races.refusal(message, now_ms)
                if refused is not None:
                    raise PoisonRecordError(refused)
                messages.append((index, message))
            except PoisonRecordError as exc:
                if not await self.dead_letter(_as_text(payload), str(exc)):
                    return Admitted(messages, index)
        return Admitted(messages, len(payloads))

    async def store(self, messages: Sequence[tuple[int, DeviceMessage]]) -> set[int]:
        """Apply messages race by race; the indexes of those whose race was stored. The first
        race that cannot be stored stops the rest (the retried suffix starts at its earliest
        message)."""
        by_race: dict[tuple[int, int], list[tuple[int, DeviceMessage]]] = defaultdict(list)
        for index, message in messages:
            by_race[(message.class_id, message.race_id)].append((index, message))
        done: set[int] = set()
        for race in by_race.values():
            batch = [m for _, m in race]
            try:
                await self._races.apply(batch)
            except (UnavailableError, StaleRaceError) as exc:
                log.warning("race batch not stored, to be retried: %s", exc.detail)
                break
            except Exception as exc:  # a defect on one race never blocks the shard's others
                log.exception("race batch failed; its messages go to the dead letters")
                reason = f"unexpected error: {exc!r}"[:1000]
                if not all([await self.dead_letter(message_json(m), reason) for m in batch]):
                    break
            done.update(i for i, _ in race)
        return done

    async def store_window(self, window: WindowBuffer) -> bool:
        """Store a window's messages; False when a race could not be stored (the window is
        then to be read again from its start)."""
        messages = window.messages
        return len(await self.store(list(enumerate(messages)))) == len(messages)

    async def dead_letter(self, payload: str, reason: str, source: str = AGGREGATE_SOURCE) -> bool:
        """Send one record to the dead letters; False when they are unavailable."""
        try:
            await self._dead_letters.send(source, payload, reason)
        except UnavailableError:
            return False
        log.warning("poison record dead-lettered: %s", reason)
        return True


def _as_text(payload: bytes | Undecodable) -> str:
    if isinstance(payload, Undecodable):
        return payload.payload
    return base64.b64encode(payload).decode()  # the record's data as the stream carries it


@dataclass(slots=True)
class WindowBuffer:
    """The admitted messages of one tumbling window not yet stored, and their size as the
    JSON ``state`` a Lambda window carries between invocations (the Lambda handler keeps it
    there, the container consumer in memory; both flush it with ``DeviceBatches.store``)."""

    messages: list[DeviceMessage] = field(default_factory=list)
    _rows: list[str] = field(default_factory=list)

    @classmethod
    def from_state(cls, state: Mapping[str, object]) -> WindowBuffer:
        """The buffer a window's ``state`` carries (this class's own ``state()``)."""
        buffer = cls()
        pending = state.get("pending")
        if isinstance(pending, str):
            buffer.add([_unpack(row) for row in json.loads(pending)])
        return buffer

    def add(self, messages: Sequence[DeviceMessage]) -> None:
        self.messages.extend(messages)
        self._rows.extend(json.dumps(_pack(m), separators=(",", ":")) for m in messages)

    def state(self) -> dict[str, str]:
        return {"pending": "[" + ",".join(self._rows) + "]"}

    @property
    def size(self) -> int:
        """Bytes of the state's JSON text."""
        return sum(map(len, self._rows)) + max(len(self._rows) - 1, 0) + 2  # commas, brackets


def _pack(message: DeviceMessage) -> list[object]:
    return [
        message.class_id,
        message.race_id,
        message.racer_id,
        message.second,
        str(message.cadence),
        str(message.resistance),
        message.final,
        message.name,
    ]


def _unpack(row: list[Any]) -> DeviceMessage:  # a row _pack wrote
    class_id, race_id, racer_id, second, cadence, resistance, final, name = row
    return DeviceMessage(
        class_id, race_id, racer_id, second, Decimal(cadence), Decimal(resistance), final, name
    )
