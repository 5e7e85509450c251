"""Reading an archived object of the race stream (Firehose: gzip, newline-delimited JSON)
within bounds: inflated step by step, every line capped."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from domain.races.errors import PoisonRecordError
from domain.races.model import MESSAGE_LIMITS

#: Firehose buffers at most 128 MiB before compressing; an archive inflating past twice that
#: is not one of its objects.
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 2 * MESSAGE_LIMITS.max_bytes
INFLATE_STEP = 1024 * 1024


def archive_lines(body: bytes) -> Iterator[bytes]:
    """The lines of an archived object (gzip, or plain), inflated step by step:
    PoisonRecordError beyond ``MAX_ARCHIVE_BYTES`` inflated (a gzip bomb never fills
    memory); a line longer than ``MAX_LINE_BYTES`` is cut there, and then refused as a
    message."""
    chunks: Iterator[bytes] = iter([body])
    if body[:2] == b"\x1f\x8b":
        chunks = _inflated(body)
    pending, total = b"", 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_ARCHIVE_BYTES:
            raise PoisonRecordError(f"the archive inflates past {MAX_ARCHIVE_BYTES} bytes")
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield line[:MAX_LINE_BYTES]
        if len(pending) > MAX_LINE_BYTES:
            pending = pending[: MAX_LINE_BYTES + 1]  # the line is cut; the rest is dropped
    if pending:
        yield pending[:MAX_LINE_BYTES]


def _inflated(body: bytes) -> Iterator[bytes]:
    """The gzip members of ``body`` inflated in steps of at most ``INFLATE_STEP`` bytes."""
    data = body
    while data:
        inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        while not inflate.eof:
            try:
                chunk = inflate.decompress(data, INFLATE_STEP)
            except zlib.error as exc:
                raise PoisonRecordError(f"not gzip: {exc}") from exc
            data = inflate.unconsumed_tail
            if not chunk and not data:
                if not inflate.eof:
                    raise PoisonRecordError("the gzip stream is cut short")
                break
            yield chunk
        data = inflate.unused_data  # a next member (Firehose may concatenate)
