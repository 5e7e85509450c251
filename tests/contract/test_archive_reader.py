"""ArchiveReader contract: in memory and S3 (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from adapters.memory.races import InMemoryArchive
from domain.races.errors import RaceStoreUnavailableError
from ports.races import ArchiveReader
from tests.support.services import boto_client

pytestmark = pytest.mark.anyio
Writer = Callable[[str, bytes], None]


@pytest.fixture(params=["memory", "s3"])
def archive(request: pytest.FixtureRequest) -> Iterator[tuple[ArchiveReader, Writer, str]]:
    bucket = f"archive-{uuid.uuid4().hex[:8]}"
    if request.param == "memory":
        memory = InMemoryArchive()

        def put(key: str, body: bytes) -> None:
            memory.objects[(bucket, key)] = body

        yield memory, put, bucket
        return
    from adapters.s3.races import S3ArchiveReader
    from adapters.s3.shared import create_bucket

    s3 = boto_client("s3", request.getfixturevalue("aws_env"))
    create_bucket(s3, bucket)
    yield (
        S3ArchiveReader(s3),
        lambda key, body: s3.put_object(Bucket=bucket, Key=key, Body=body),
        bucket,
    )


async def test_an_object_is_read_as_delivered(archive: tuple[ArchiveReader, Writer, str]) -> None:
    reader, put, bucket = archive
    put("2026/11/23/12/races archive-1.gz", b"\x1f\x8b binary")
    assert await reader.read(bucket, "2026/11/23/12/races archive-1.gz") == b"\x1f\x8b binary"
    with pytest.raises(RaceStoreUnavailableError):
        await reader.read(bucket, "missing")
