"""Lambda handlers of the trivia context, subscribed to ``TRIVIA_TOPIC_ARN`` (SNS).

- ``score_handler``: "score recorded" events → the quiz's board (``trivia-<quizId>``).
- ``progress_handler``: "experience earned" events → the player's and the author's progress.

Each may be subscribed with a filter policy on the ``name`` message attribute; without one,
the other consumer's events are skipped. Each message is handled by ``domain.trivia.intake``
(as in the container's ``portside consume trivia``): idempotent per event id, so SNS's
at-least-once delivery and Lambda's retries change nothing twice; a transient failure raises,
so Lambda retries the invocation; a message that can never be handled goes to the dead
letters with the reason and is not retried.
"""

from __future__ import annotations

from typing import Any

from domain.trivia.progress import EXPERIENCE_EARNED, SCORE_RECORDED
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition


class TriviaHandlers:
    """The trivia consumers of one composition; ``run`` drives a coroutine to the end."""

    def __init__(self, composition: Composition, run: Run) -> None:
        self._events = composition.trivia_events
        self._run = run

    def score(self, event: dict[str, Any], context: Any) -> dict[str, int]:
        return self._sns(event, SCORE_RECORDED)

    def progress(self, event: dict[str, Any], context: Any) -> dict[str, int]:
        return self._sns(event, EXPERIENCE_EARNED)

    def _sns(self, event: dict[str, Any], name: str) -> dict[str, int]:
        handled = 0
        for record in event.get("Records") or []:
            handled += self._run(self._events.handle(record["Sns"]["Message"], only=name))
        return {"handled": handled}


_get = per_environment(TriviaHandlers)


@correlated
def score_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().score(event, context)


@correlated
def progress_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().progress(event, context)
