"""``portside consume trivia``'s consumer over an in-memory queue: every message handled once
and deleted, poison dead-lettered, transient failures left in the queue for a retry."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.memory.shared import InMemoryEventPublisher, InMemoryQueue
from domain.trivia.intake import TriviaEvents
from domain.trivia.progress import Progress
from entrypoints.trivia_consumer import TriviaQueueConsumer
from tests.unit.test_trivia_handlers import handlers, message
from tests.unit.test_trivia_progress import DEMO, FlakyProgress, answers, service


def test_the_queue_is_drained_once_with_duplicates_poison_and_a_transient_failure(
    tmp_path: Path,
) -> None:
    events = InMemoryEventPublisher()
    trivia, _ = service(events, FlakyProgress(failures=1))
    _, letters, loop = handlers(trivia, tmp_path)
    on = TriviaEvents(trivia.consumers(), letters)
    loop.run_until_complete(trivia.play("ann", DEMO, answers(3)))
    bodies = [message(e) for e in events.published]
    envelope = json.dumps({"Type": "Notification", "Message": bodies[1]})  # SNS to SQS
    queue = InMemoryQueue([*bodies, envelope, bodies[0], "{poison"])
    report = TriviaQueueConsumer(on, queue, loop.run_until_complete, 0).run(until_idle=0)
    assert len(queue) == 0
    # 5 messages, the one whose credit failed received twice; poison is not "handled".
    assert (report.received, report.handled, report.left_for_retry) == (6, 4, 1)
    assert loop.run_until_complete(trivia.progress("ann")) == Progress("ann", 3)
    board = loop.run_until_complete(trivia.leaderboard(DEMO, "ann"))
    assert [e.entry.member for e in board.entries] == ["ann"]
    assert [payload for _, payload, _ in letters.letters] == ["{poison"]
    loop.close()
