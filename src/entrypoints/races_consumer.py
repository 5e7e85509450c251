"""``portside consume races``: the race stream's consumer for containers and tests.

Polls every shard of ``RACES_STREAM`` and applies each batch with ``domain.races.intake``, the
code the Kinesis Lambda handler calls. Like Lambda's event source mapping it checkpoints per
shard (in ``RACES_TABLE``: ``checkpoint-<stream>`` / shard id) and keeps tumbling windows
(the same ``WindowBuffer``, held in memory; a window is stored when its time is up or its
buffer nears ``window_bytes``, and the checkpoint moves only after that). When a batch or a
window cannot be stored it re-reads from the first record whose effect is not stored
(windowed: from the window's start; every write is idempotent, so re-processing is safe), after
a bounded, jittered pause. It also runs the sweep on a timer and, standing in for Firehose and
``history_handler``, merges each stored batch's messages into the all-time class records.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

from domain.races.intake import WindowBuffer
from domain.races.model import DeviceMessage
from domain.races.stream import ShardRecord
from domain.shared.errors import UnavailableError
from domain.shared.retry import Backoff, Retry
from entrypoints.composition import Composition
from ports.races import Checkpoints, StreamReader

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH_SIZE = 1000
SWEEP_SECONDS = 60.0
POLL_SECONDS = 0.2
#: A window is stored early when its buffer grows past this (as Lambda's 1 MB state would).
WINDOW_BYTES = 800_000
#: The pause after a failed read or store of a shard, by failures in a row (reset on
#: success); a consumer never gives a shard up.
SHARD_BACKOFF = Backoff(base=0.05, cap=5.0)
#: Checkpoints and history must not be skipped: the consumer stops after these many tries
#: (and resumes from its checkpoints when restarted).
MUST_SUCCEED = Retry(attempts=9, base=0.05, cap=5.0)


@dataclass
class ConsumeReport:
    records: int = 0
    batches: int = 0
    retries: int = 0
    windows: int = 0


@dataclass
class _Shard:
    shard_id: str
    checkpoint: str | None  # the last sequence number whose effect is stored
    position: str | None  # the last sequence number handed to the handler
    window_start: float | None = None  # monotonic time the open window began
    window: WindowBuffer = field(default_factory=WindowBuffer)
    failures: int = 0


class RaceStreamConsumer:
    """Consumes the race stream (see the module docstring); when it stops it closes the
    composition's clients (they run on its event loop)."""

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
        window_bytes: int = WINDOW_BYTES,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._services = services
        self._races = services.races
        self._batches = services.race_batches
        self._reader = reader
        self._checkpoints = checkpoints
        self._stream = stream
        self._window = window_seconds
        self._sweep_every = sweep_seconds
        self._poll = poll_seconds
        self._batch = batch_size
        self._window_bytes = window_bytes
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
            # Its clients were used on this loop: closed on it, before it goes.
            self._run(self._services.aclose())
            self._loop.close()

    # -- one shard, one poll ----------------------------------------------------------------

    def _step(self, shard: _Shard) -> int:
        if shard.failures:
            SHARD_BACKOFF.pause_blocking(shard.failures)
        try:
            records = self._run(self._reader.read(shard.shard_id, shard.position, self._batch))
        except UnavailableError as exc:
            log.warning("shard %s not readable: %s", shard.shard_id, exc.detail)
            shard.failures += 1
            return 0
        self.report.records += len(records)
        if records:
            self.report.batches += 1
            if self._window > 0:
                self._add_to_window(shard, records)
            else:
                self._store_batch(shard, records)
        if shard.window_start is not None and time.monotonic() - shard.window_start >= self._window:
            self._close_window(shard)
        return len(records)

    def _store_batch(self, shard: _Shard, records: list[ShardRecord]) -> None:
        admitted = self._run(self._batches.admit([r.data for r in records]))
        stored = self._run(self._batches.store(admitted.messages))
        first_undone = admitted.first_undone(stored)
        if first_undone < len(records):
            shard.failures += 1
            self.report.retries += 1
        else:
            shard.failures = 0
        if first_undone:  # the history first: a checkpoint means every effect is stored
            self._merge_history([m for i, m in admitted.messages if i < first_undone])
            self._checkpoint(shard, records[first_undone - 1].sequence_number)
        shard.position = shard.checkpoint

    def _add_to_window(self, shard: _Shard, records: list[ShardRecord]) -> None:
        if shard.window_start is None:
            shard.window_start, shard.window = time.monotonic(), WindowBuffer()
        admitted = self._run(self._batches.admit([r.data for r in records]))
        if admitted.stop < len(records):  # the dead letters are down: the window starts over
            self._restart_window(shard)
            return
        shard.window.add([m for _, m in admitted.messages])
        shard.position = records[-1].sequence_number
        if shard.window.size > self._window_bytes and self._store_window(shard):
            shard.window = WindowBuffer()  # stored early; the window's time runs on

    def _close_window(self, shard: _Shard) -> None:
        if self._store_window(shard):
            self.report.windows += 1
            shard.window_start, shard.window = None, WindowBuffer()

    def _store_window(self, shard: _Shard) -> bool:
        """Store the window's messages, then checkpoint; False (the window re-read from its
        start, after a pause) when a race could not be stored."""
        if not self._run(self._batches.store_window(shard.window)):
            log.warning("window of shard %s not stored, re-reading it", shard.shard_id)
            self._restart_window(shard)
            return False
        shard.failures = 0
        self._merge_history(shard.window.messages)  # before the checkpoint, as in _store_batch
        if shard.position is not None and shard.position != shard.checkpoint:
            self._checkpoint(shard, shard.position)
        return True

    def _restart_window(self, shard: _Shard) -> None:
        shard.failures += 1
        self.report.retries += 1
        shard.position = shard.checkpoint
        shard.window_start, shard.window = None, WindowBuffer()

    # -- helpers ----------------------------------------------------------------------------

    def _checkpoint(self, shard: _Shard, sequence_number: str) -> None:
        put = self._checkpoints.put
        MUST_SUCCEED.call_blocking(
            lambda: self._run(put(self._stream, shard.shard_id, sequence_number))
        )
        shard.checkpoint = sequence_number

    def _merge_history(self, messages: list[DeviceMessage]) -> None:
        if messages:
            MUST_SUCCEED.call_blocking(lambda: self._run(self._races.record_history(messages)))

    def _sweep(self) -> None:
        try:
            self._run(self._races.sweep())
        except UnavailableError as exc:
            log.warning("sweep failed, next time: %s", exc.detail)
