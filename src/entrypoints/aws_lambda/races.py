"""Lambda handlers of the races context.

- ``aggregate_handler`` (Kinesis, batch size up to 1,000, ``ReportBatchItemFailures`` on):
  without tumbling-window fields it writes at the end of every batch; with them it keeps the
  batch's messages in ``state`` and writes nothing until ``isFinalInvokeForWindow`` (flushing
  early when the state nears Lambda's 1 MB limit). Poison records go to the dead letters and
  never block the shard; a transient failure is reported as a batch item failure from the
  first record whose effect is not stored, so only that suffix is retried. Every write is
  idempotent (seen-second bitmaps, conditional versioned saves), so a retry changes nothing.
- ``sweep_handler`` (scheduled every minute): finishes races whose slot and grace have passed.
- ``firehose_transform_handler``: adds ``output`` to every record (``Ok``), or marks it
  ``ProcessingFailed``; same length and record ids as the input.
- ``history_handler`` (S3 event of a Firehose gzip newline-JSON object): merges every data
  point into the all-time per-second records of its class.
- ``publish_handler`` (DynamoDB stream of ``RACES_TABLE``): pushes each live board.

The stream's records are admitted and stored by ``domain.races.intake``, which the container's
``portside consume races`` calls too.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any
from urllib.parse import unquote_plus

from domain.races.errors import PoisonRecordError
from domain.races.intake import Admitted, Undecodable, WindowBuffer
from domain.races.model import decode_message, message_json
from domain.shared.errors import UnavailableError
from entrypoints.aws_lambda.archives import archive_lines
from entrypoints.aws_lambda.environment import Run, correlated, per_environment
from entrypoints.composition import Composition
from ports.races import ArchiveReader

log = logging.getLogger(__name__)

#: Bytes of JSON state kept below Lambda's 1 MB tumbling-window state limit.
STATE_LIMIT = 800_000
HISTORY_SOURCE = "races.history"
PUBLISH_SOURCE = "races.publish"
#: Messages merged into the class records per step of an archive.
HISTORY_CHUNK = 50_000


class TransientFailure(UnavailableError):
    """A dependency failed where the handler cannot report a partial result; Lambda is to
    retry the invocation."""


def _payload(record: dict[str, Any]) -> bytes | Undecodable:
    data = record["kinesis"]["data"]
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: a non-ASCII string
        return Undecodable(str(data), f"not base64: {exc}")


class RaceHandlers:
    """The races handlers of one composition; ``run`` drives a coroutine to the end."""

    def __init__(
        self, composition: Composition, run: Run, archive: ArchiveReader | None = None
    ) -> None:
        self._composition = composition
        self._races = composition.races
        self._batches = composition.race_batches
        self._archive = archive
        self._run = run

    # -- Kinesis ----------------------------------------------------------------------------

    def aggregate(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event.get("Records") or []
        admitted = self._run(self._batches.admit([_payload(r) for r in records]))
        if "window" in event or "isFinalInvokeForWindow" in event:
            return self._aggregate_window(event, records, admitted)
        stored = self._run(self._batches.store(admitted.messages))
        return {"batchItemFailures": _failures(records, admitted.first_undone(stored))}

    def _aggregate_window(
        self, event: dict[str, Any], records: list[dict[str, Any]], admitted: Admitted
    ) -> dict[str, Any]:
        incoming = event.get("state") or {}
        window = WindowBuffer.from_state(incoming)
        window.add([m for _, m in admitted.messages])
        if event.get("isFinalInvokeForWindow") or window.size > STATE_LIMIT:
            if not self._run(self._batches.store_window(window)):
                if not records:
                    raise TransientFailure("the window's flush failed; retry the final invoke")
                # Keep the window as it came in; this batch is retried from its first record.
                return {"state": incoming, "batchItemFailures": _failures(records, 0)}
            window = WindowBuffer()
        return {"state": window.state(), "batchItemFailures": _failures(records, admitted.stop)}

    def _dead_letter(self, source: str, payload: str, reason: str) -> bool:
        return bool(self._run(self._batches.dead_letter(payload, reason, source)))

    # -- schedule, Firehose, S3, DynamoDB streams -------------------------------------------

    def sweep(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        swept = self._run(self._races.sweep())
        return {"finished": [f"race-{r.class_id}-{r.race_id}" for r in swept]}

    def firehose_transform(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        answers = []
        for record in event["records"]:
            try:
                raw = base64.b64decode(record["data"], validate=True)
                message = decode_message(raw, self._races.rules)
            except (PoisonRecordError, binascii.Error, ValueError) as exc:  # ValueError: non-ASCII
                log.warning("firehose record %s failed: %s", record["recordId"], exc)
                answers.append(
                    {"recordId": record["recordId"], "result": "ProcessingFailed",
                     "data": record["data"]}
                )  # fmt: skip
                continue
            # One JSON object per line, so the delivered object is newline-delimited JSON.
            line = (message_json(message, with_output=True) + "\n").encode()
            answers.append(
                {"recordId": record["recordId"], "result": "Ok",
                 "data": base64.b64encode(line).decode()}
            )  # fmt: skip
        return {"records": answers}

    def history(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Merge every archived object of the event; one that fails does not keep the
        others from being merged, and is raised for S3 to retry (merging is idempotent)."""
        if self._archive is None:
            from entrypoints.composition.races import archive_reader

            self._archive = archive_reader(self._composition)
        merged, failed = 0, []
        for record in event["Records"]:
            bucket = record["s3"]["bucket"]["name"]
            key = unquote_plus(record["s3"]["object"]["key"])
            try:
                merged += self._merge_archive(self._archive, bucket, key)
            except Exception as exc:
                log.exception("archive s3://%s/%s not merged", bucket, key)
                failed.append(f"{key}: {exc!r}")
        if failed:
            raise TransientFailure(f"{len(failed)} archives not merged: {'; '.join(failed)}")
        return {"merged": merged}

    def _merge_archive(self, reader: ArchiveReader, bucket: str, key: str) -> int:
        body = self._run(reader.read(bucket, key))
        merged, messages = 0, []
        try:
            for number, line in enumerate(archive_lines(body), start=1):
                if not line.strip():
                    continue
                try:
                    messages.append(decode_message(line, self._races.rules))
                except PoisonRecordError as exc:
                    payload = base64.b64encode(line).decode()
                    self._dead_letter_or_retry(payload, f"{key}:{number}: {exc}")
                if len(messages) == HISTORY_CHUNK:  # merged in steps: memory stays bounded
                    self._run(self._races.record_history(messages))
                    merged, messages = merged + len(messages), []
        except PoisonRecordError as exc:  # the object itself: not gzip, cut short, or a bomb
            self._dead_letter_or_retry(f"s3://{bucket}/{key}", f"{key}: {exc}")
        self._run(self._races.record_history(messages))
        return merged + len(messages)

    def _dead_letter_or_retry(self, payload: str, reason: str) -> None:
        if not self._dead_letter(HISTORY_SOURCE, payload, reason):
            raise TransientFailure("dead letters unavailable; retry the object")

    def publish(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        from entrypoints.composition.races import live_image_reader

        race_in = live_image_reader()
        for record in event["Records"]:
            image = record.get("dynamodb", {}).get("NewImage") or {}
            try:
                race = race_in(image)
            except PoisonRecordError as exc:  # an image the adapter cannot read: others go on
                log.warning("live board image not readable: %s", exc)
                # The record named by its place in the stream (the image is in the reason).
                stream = record.get("eventSourceARN", "stream")
                where = f"{stream} {_sequence(record)['itemIdentifier']}"
                if not self._dead_letter(PUBLISH_SOURCE, where, str(exc)):
                    return {"batchItemFailures": [_sequence(record)]}
                continue
            if race is None:
                continue  # results, class bests, markers, checkpoints
            try:
                self._run(self._races.announce(race))
            except UnavailableError:
                # The stream is retried from this record; boards published before it are
                # published again, which a watcher cannot tell from the next update.
                return {"batchItemFailures": [_sequence(record)]}
        return {"batchItemFailures": []}


def _sequence(record: dict[str, Any]) -> dict[str, str]:
    return {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}


def _failures(records: list[dict[str, Any]], first: int) -> list[dict[str, str]]:
    """Report the suffix from ``first``: Lambda checkpoints before the lowest reported
    sequence number and retries from there."""
    if first >= len(records):
        return []
    return [{"itemIdentifier": records[first]["kinesis"]["sequenceNumber"]}]


_get = per_environment(RaceHandlers)


@correlated
def aggregate_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _get().aggregate(event, context)


@correlated
def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _get().sweep(event, context)


@correlated
def firehose_transform_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _get().firehose_transform(event, context)


@correlated
def history_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _get().history(event, context)


@correlated
def publish_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _get().publish(event, context)
