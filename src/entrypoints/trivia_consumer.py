"""``portside consume trivia``: the trivia event consumers for containers.

Reads an SQS queue subscribed to ``TRIVIA_TOPIC_ARN`` (raw delivery or the SNS envelope) and
hands each message to ``domain.trivia.intake``, the code the SNS Lambda handlers call. A message
is deleted once handled (or dead-lettered). On a transient failure, or an unexpected error on
it (logged), it is left in the queue, which delivers it again after its visibility timeout
(and to its dead-letter queue after the redrive policy's count); the other messages go on.
The consumers are idempotent per event id, so redeliveries change nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from domain.shared.errors import UnavailableError
from domain.shared.retry import Backoff
from domain.trivia.intake import TriviaEvents
from ports.shared import QueueReader

log = logging.getLogger(__name__)
WAIT_SECONDS = 10.0
#: The pause after a failure, by failures in a row (reset when a receive succeeds); the
#: consumer never gives up.
BACKOFF = Backoff(base=0.05, cap=5.0)


@dataclass
class TriviaConsumeReport:
    received: int = 0
    handled: int = 0
    left_for_retry: int = 0


class TriviaQueueConsumer:
    """Consumes the trivia queue (see the module docstring)."""

    def __init__(
        self,
        events: TriviaEvents,
        queue: QueueReader,
        run: Callable[[Awaitable[Any]], Any],
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._events = events
        self._queue = queue
        self._run = run
        self._wait = wait_seconds
        self.report = TriviaConsumeReport()

    def run(self, until_idle: float | None = None) -> TriviaConsumeReport:
        """Consume until nothing arrived for ``until_idle`` seconds (None: forever)."""
        idle_since = time.monotonic()
        failures = 0
        wait = self._wait if until_idle is None else min(self._wait, until_idle)
        while True:
            if failures:
                BACKOFF.pause_blocking(failures)
            try:
                messages = self._run(self._queue.receive(10, wait))
            except UnavailableError as exc:
                log.warning("trivia queue not readable: %s", exc.detail)
                failures += 1
                continue
            now = time.monotonic()
            if not messages:
                if until_idle is not None and now - idle_since >= until_idle:
                    return self.report
                continue
            idle_since = now
            failures = 0
            for message in messages:
                self.report.received += 1
                try:
                    self.report.handled += self._run(self._events.handle(message.body))
                except UnavailableError as exc:
                    # Left in the queue: it comes back after the visibility timeout.
                    log.warning("trivia event left for a retry: %s", exc.detail)
                    self.report.left_for_retry += 1
                    failures += 1
                    continue
                except Exception:  # a defect on one message never stops the others
                    log.exception("trivia event failed; left for the queue's redrive policy")
                    self.report.left_for_retry += 1
                    continue
                self._run(self._queue.delete(message.receipt))
