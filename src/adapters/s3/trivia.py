"""AvatarStorage on S3 (``AVATARS_BUCKET``): players upload with a presigned POST whose
policy S3 enforces (the key, the content type, ``content-length-range``, the expiry), the
bucket's event names each new ``uploads/`` object, and the public pictures are written
under ``avatars/`` with their content type and a year's immutable caching (their keys are
never reused). Objects are served through the CDN (``AVATARS_PUBLIC_URL``), whose response
headers add ``X-Content-Type-Options: nosniff`` (S3 cannot store that header).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from adapters.boto import call
from domain.trivia.errors import AvatarStoreUnavailableError
from domain.trivia.profiles import Picture, StoredObject, UploadForm, UploadPolicy

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

_T = TypeVar("_T")
_MISSING = {"NoSuchKey", "404", "NotFound"}
CACHE_CONTROL = "public, max-age=31536000, immutable"


async def _call(what: str, fn: Callable[..., _T], **kwargs: Any) -> _T:
    return await call(AvatarStoreUnavailableError, what, fn, expected=_MISSING, **kwargs)


class S3AvatarStorage:
    """AvatarStorage on one S3 bucket (see the module docstring)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def upload_form(self, policy: UploadPolicy) -> UploadForm:
        seconds = max(1, int((policy.expires_at - datetime.now(UTC)).total_seconds()))
        # Signing is local (no request), but may read credentials from the environment.
        answer = await _call(
            "upload form",
            self._client.generate_presigned_post,
            Bucket=self._bucket,
            Key=policy.key,
            Fields={"Content-Type": policy.content_type},
            Conditions=[
                {"Content-Type": policy.content_type},
                ["content-length-range", 1, policy.max_bytes],
            ],
            ExpiresIn=seconds,
        )
        return UploadForm(answer["url"], dict(answer["fields"]), policy)

    async def read(self, key: str, max_bytes: int) -> StoredObject | None:
        try:
            answer = await _call(
                "avatar read", self._client.get_object, Bucket=self._bucket, Key=key
            )
        except ClientError:
            return None  # missing (any other error was raised as unavailable)
        body = answer["Body"]
        try:
            data: bytes = await asyncio.to_thread(body.read, max_bytes + 1)
        finally:
            body.close()  # the rest of an oversized object is never read
        size = int(answer.get("ContentLength", len(data)))
        return StoredObject(data, answer.get("ContentType", ""), size)

    async def publish(self, key: str, picture: Picture) -> None:
        await _call(
            "avatar write",
            self._client.put_object,
            Bucket=self._bucket,
            Key=key,
            Body=picture.data,
            ContentType=picture.content_type,
            CacheControl=CACHE_CONTROL,
        )

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        answer = await _call(
            "avatar delete",
            self._client.delete_objects,
            Bucket=self._bucket,
            Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
        )
        if answer.get("Errors"):
            raise AvatarStoreUnavailableError(f"Some avatar objects were not deleted: {keys}.")
