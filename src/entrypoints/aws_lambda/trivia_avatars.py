"""Lambda handler of the avatars: ``upload_handler``, subscribed to ``AVATARS_BUCKET``'s
``s3:ObjectCreated:*`` notifications for the prefix ``uploads/``.

Each record's object goes through the avatar processor (``domain.trivia.avatars``): checked,
moderated (Rekognition), re-encoded, published, the profile updated, the player told on
their WebSocket connections (through ``LIVE_CALLBACK_URL``, when set) and by Web Push.
Processing is idempotent per key (the pending upload is consumed once), so S3's
at-least-once delivery and Lambda's retries change nothing twice. A record that fails (a
store, Rekognition, or anything unexpected) fails the invocation after the others were
processed, so Lambda retries it (twice, asynchronously, then its on-failure destination);
a record that is not an S3 object notification goes to the dead letters with the reason.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

from domain.shared.errors import UnavailableError
from domain.trivia.profiles import UPLOAD_PREFIX
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition

log = logging.getLogger(__name__)
SOURCE = "trivia-avatars"


class UploadsNotProcessedError(UnavailableError):
    """Some uploads of the event failed for now: Lambda is to retry the invocation."""


class AvatarHandlers:
    def __init__(self, composition: Composition, run: Run) -> None:
        self._composition = composition
        self._run = run

    def upload(self, event: dict[str, Any], context: Any) -> dict[str, int]:
        processed, failed = 0, []
        for record in event.get("Records") or []:
            try:
                key = unquote_plus(str(record["s3"]["object"]["key"]))
            except (KeyError, TypeError) as exc:
                reason = f"not an S3 object notification (no {exc})"
                self._run(self._composition.dead_letters.send(SOURCE, repr(record)[:4000], reason))
                continue
            if not key.startswith(UPLOAD_PREFIX):
                log.warning("ignored %s: not an upload (subscribe the prefix uploads/)", key)
                continue
            try:
                self._run(self._composition.avatars_on_gateway.process(key))
            except Exception as exc:  # this record only: the others are still processed
                log.exception("avatar upload %s not processed", key)
                failed.append(f"{key}: {exc!r}")
                continue
            processed += 1
        if failed:
            raise UploadsNotProcessedError(f"{len(failed)} uploads not processed: {failed}")
        return {"processed": processed}


_get = per_environment(AvatarHandlers)


@correlated
def upload_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return _get().upload(event, context)
