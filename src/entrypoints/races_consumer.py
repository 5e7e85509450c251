"""``portside consume races``: Lambda's Kinesis event source mapping, for containers and tests.

Polls every shard of ``RACES_STREAM`` and hands each batch to the same ``aggregate_handler``
code Lambda runs, in Lambda's event shape. Like the event source mapping it checkpoints per
shard (in ``RACES_TABLE``: ``checkpoint-<stream>`` / shard id), emulates tumbling windows
(state carried between invokes, a final invoke when the window's time is up, the checkpoint
moved only after it), and on reported batch item failures re-reads from the failed record
(windowed: from the window's start; every write is idempotent, so re-processing is safe).
It also runs the sweep on a timer and, standing in for Firehose and ``history_handler``,
merges each flushed window's messages into the all-time class records.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from domain.races.errors import PoisonRecordError
from domain.races.model import DeviceMessage, decode_message
from domain.races.stream import ShardRecord
from domain.shared.backoff import backoff_delay
from domain.shared.errors import UnavailableError
from entrypoints.aws_lambda.races import RaceHandlers, TransientFailure
from entrypoints.composition import Composition
from ports.races import Checkpoints, StreamReader

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH_SIZE = 1000
SWEEP_SECONDS = 60.0
POLL_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0


@dataclass
class ConsumeReport:
    records: int = 0
    invocations: int = 0
    retries: int = 0
    windows: int = 0


@dataclass
class _Shard:
    shard_id: str
    checkpoint: str | None  # the last sequence number whose effect is stored
    position: str | None  # the last sequence number handed to the handler
    window_start: float | None = None  # monotonic time the open window began
    window_wall: datetime | None = None
    state: dict[str, Any] = field(default_factory=dict)
    messages: list[DeviceMessage] = field(default_factory=list)  # for the history
    failures: int = 0


class RaceStreamConsumer:
    """Consumes the race stream with the Lambda handlers (see the module docstring)."""

    def __init__(
        self,
        services: Composition,
        reader: StreamReader,
        checkpoints: Checkpoints,
        stream: str,
        *,
        window_seconds: float = 15.0,
        sweep_seconds: float = SWEEP_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._services = services
        self._handlers = RaceHandlers(services, self._loop.run_until_complete)
        self._reader = reader
        self._checkpoints = checkpoints
        self._stream = stream
        self._window = window_seconds
        self._sweep_every = sweep_seconds
        self._poll = poll_seconds
        self._batch = batch_size
        self._arn = f"arn:aws:kinesis:local:000000000000:stream/{stream}"
        self.report = ConsumeReport()

    def _run(self, work: Awaitable[T]) -> T:
        return self._loop.run_until_complete(work)

    def run(self, until_idle: float | None = None) -> ConsumeReport:
        """Consume until nothing was read for ``until_idle`` seconds with every window
        flushed (None: forever)."""
        try:
            shards = [
                _Shard(s, c, c)
                for s in self._run(self._reader.shards())
                for c in [self._run(self._checkpoints.get(self._stream, s))]
            ]
            idle_since = last_sweep = time.monotonic()
            while True:
                read = sum(self._step(shard) for shard in shards)
                now = time.monotonic()
                if now - last_sweep >= self._sweep_every:
                    self._sweep()
                    last_sweep = now
                if read:
                    idle_since = now
                    continue
                windows_open = any(s.window_start is not None for s in shards)
                if until_idle is not None and not windows_open and now - idle_since >= until_idle:
                    self._sweep()
                    return self.report
                time.sleep(self._poll)
        finally:
            self._loop.close()

    # -- one shard, one poll ----------------------------------------------------------------

    def _step(self, shard: _Shard) -> int:
        if shard.failures:  # bounded, jittered backoff after a failure on this shard
            time.sleep(backoff_delay(shard.failures, 0.05, MAX_BACKOFF_SECONDS))
        try:
            records = self._run(self._reader.read(shard.shard_id, shard.position, self._batch))
        except UnavailableError as exc:
            log.warning("shard %s not readable: %s", shard.shard_id, exc.detail)
            shard.failures += 1
            return 0
        self.report.records += len(records)
        if self._window <= 0:
            if records:
                self._invoke_plain(shard, records)
            return len(records)
        if records:
            self._invoke_window(shard, records)
        if shard.window_start is not None and time.monotonic() - shard.window_start >= self._window:
            self._close_window(shard)
        return len(records)

    def _invoke_plain(self, shard: _Shard, records: list[ShardRecord]) -> None:
        answer = self._invoke(self._event(shard, records))
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        done = records
        if failed:
            first = next(i for i, r in enumerate(records) if r.sequence_number in failed)
            done = records[:first]
            shard.failures += 1
            self.report.retries += 1
        else:
            shard.failures = 0
        if done:
            self._checkpoint(shard, done[-1].sequence_number)
            self._merge_history(records=done)
        shard.position = shard.checkpoint

    def _invoke_window(self, shard: _Shard, records: list[ShardRecord]) -> None:
        if shard.window_start is None:
            shard.window_start, shard.window_wall = time.monotonic(), datetime.now(UTC)
            shard.state, shard.messages = {}, []
        event = self._event(shard, records)
        event.update(self._window_fields(shard, final=False))
        answer = self._invoke(event)
        if answer.get("batchItemFailures"):
            self._restart_window(shard)
            return
        shard.state = answer.get("state") or {}
        shard.position = records[-1].sequence_number
        shard.messages += _valid(records, self._services)
        if shard.state.get("pending") == "[]" and shard.messages:
            # The handler flushed early (state near 1 MB): stored, so checkpoint as Lambda would.
            self._checkpoint(shard, shard.position)
            self._merge_history(messages=shard.messages)
            shard.messages = []

    def _close_window(self, shard: _Shard) -> None:
        event = self._event(shard, [])
        event.update(self._window_fields(shard, final=True))
        try:
            self._invoke(event)
        except TransientFailure as exc:
            log.warning("window of shard %s not flushed, re-reading it: %s", shard.shard_id, exc)
            self._restart_window(shard)
            return
        shard.failures = 0
        self.report.windows += 1
        if shard.position is not None and shard.position != shard.checkpoint:
            self._checkpoint(shard, shard.position)
        self._merge_history(messages=shard.messages)
        shard.window_start, shard.state, shard.messages = None, {}, []

    def _restart_window(self, shard: _Shard) -> None:
        shard.failures += 1
        self.report.retries += 1
        shard.position = shard.checkpoint
        shard.window_start, shard.state, shard.messages = None, {}, []

    # -- helpers ----------------------------------------------------------------------------

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.report.invocations += 1
        return self._handlers.aggregate(event, None)

    def _checkpoint(self, shard: _Shard, sequence_number: str) -> None:
        self._retrying(lambda: self._checkpoints.put(self._stream, shard.shard_id, sequence_number))
        shard.checkpoint = sequence_number

    def _merge_history(
        self,
        *,
        records: list[ShardRecord] | None = None,
        messages: list[DeviceMessage] | None = None,
    ) -> None:
        batch = messages if messages is not None else _valid(records or [], self._services)
        if batch:
            self._retrying(lambda: self._services.races.record_history(batch))

    def _sweep(self) -> None:
        try:
            self._handlers.sweep({}, None)
        except UnavailableError as exc:
            log.warning("sweep failed, next time: %s", exc.detail)

    def _retrying(self, work: Callable[[], Awaitable[object]]) -> None:
        """Checkpoints and history must not be skipped: retry with bounded backoff."""
        for attempt in range(8):
            try:
                self._run(work())
                return
            except UnavailableError as exc:
                log.warning("retrying after: %s", exc.detail)
                time.sleep(backoff_delay(attempt, 0.05, MAX_BACKOFF_SECONDS))
        self._run(work())  # the last attempt's error stops the consumer (it resumes at restart)

    def _event(self, shard: _Shard, records: list[ShardRecord]) -> dict[str, Any]:
        return {
            "Records": [
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": r.partition_key,
                        "sequenceNumber": r.sequence_number,
                        "data": base64.b64encode(r.data).decode(),
                        "approximateArrivalTimestamp": r.arrival_ms / 1000,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{shard.shard_id}:{r.sequence_number}",
                    "eventName": "aws:kinesis:record",
                    "eventSourceARN": self._arn,
                    "awsRegion": "local",
                }
                for r in records
            ]
        }

    def _window_fields(self, shard: _Shard, *, final: bool) -> dict[str, Any]:
        assert shard.window_wall is not None
        end = shard.window_wall + timedelta(seconds=self._window)
        return {
            "window": {"start": shard.window_wall.isoformat(), "end": end.isoformat()},
            "state": shard.state,
            "shardId": shard.shard_id,
            "eventSourceARN": self._arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": False,
        }


def _valid(records: list[ShardRecord], services: Composition) -> list[DeviceMessage]:
    """The records' valid messages (poison and refused ones were dead-lettered by the
    handler)."""
    messages, now_ms = [], services.races.now_ms()
    for r in records:
        try:
            message = decode_message(r.data, services.races.rules)
        except PoisonRecordError:
            continue
        if services.races.refusal(message, now_ms) is None:
            messages.append(message)
    return messages
