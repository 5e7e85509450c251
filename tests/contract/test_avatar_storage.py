"""Contracts of the avatar store: in memory and on S3 (``moto_server``). Uploads go through
the store's own form, as a browser sends them (on S3: a presigned POST, whose policy is
decoded and checked here, since moto does not enforce it); the processor, on each store,
publishes an accepted upload and deletes an object beyond the limits that reached it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.memory.trivia_profiles import (
    InMemoryAvatarStorage,
    InMemoryImageModerator,
    InMemoryProfileStore,
    InMemoryPushSubscriptionStore,
)
from adapters.pillow.trivia import PillowImageProcessor
from domain.trivia.avatars import AvatarProcessor, PlayerNotifier
from domain.trivia.profiles import (
    AVATAR_MAX_BYTES,
    AvatarUrls,
    Outcome,
    PendingUpload,
    Picture,
    UploadForm,
    UploadPolicy,
)
from ports.trivia import AvatarStorage
from tests.support.fakes import ManualClock
from tests.support.images import photo
from tests.support.services import boto_client

pytestmark = pytest.mark.anyio
Send = Callable[[UploadForm, bytes], Awaitable[None]]


@pytest.fixture(params=["memory", "s3"])
def store(request: pytest.FixtureRequest) -> tuple[AvatarStorage, Send, Send]:
    """The store, how a browser sends an upload through its form, and how an object beyond
    the form's limits reaches the store (S3: the same POST, as moto does not enforce it)."""
    if request.param == "memory":
        memory = InMemoryAvatarStorage()

        async def accept(form: UploadForm, data: bytes) -> None:
            memory.accept(form.fields, data, datetime.now(UTC))

        async def sneak(form: UploadForm, data: bytes) -> None:
            picture = Picture(form.policy.content_type, data, 0, 0, "")
            await memory.publish(form.policy.key, picture)  # stored however it came

        return memory, accept, sneak
    from adapters.s3.trivia import S3AvatarStorage

    client = boto_client("s3", request.getfixturevalue("aws_env"))
    bucket = f"avatars-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)

    async def post(form: UploadForm, data: bytes) -> None:
        async with httpx.AsyncClient() as http:
            files = {"file": ("me.jpg", data, form.policy.content_type)}
            answer = await http.post(form.url, data=dict(form.fields), files=files)
        assert answer.status_code in (200, 201, 204), answer.text

    return S3AvatarStorage(client, bucket), post, post


def policy(key: str, content_type: str = "image/jpeg") -> UploadPolicy:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    return UploadPolicy(key, content_type, AVATAR_MAX_BYTES, expires)


async def test_pictures_are_published_read_and_deleted(
    store: tuple[AvatarStorage, Send, Send],
) -> None:
    storage, _, _ = store
    picture = Picture("image/webp", b"RIFF....WEBP" + bytes(100), 128, 128, "d")
    await storage.publish("avatars/ann/1-128.webp", picture)
    held = await storage.read("avatars/ann/1-128.webp", 1000)
    assert held is not None
    assert (held.data, held.content_type, held.size) == (picture.data, "image/webp", 112)
    cut = await storage.read("avatars/ann/1-128.webp", 10)
    assert cut is not None
    assert (len(cut.data), cut.size) == (11, 112)  # never more than the limit + 1 read
    await storage.delete(["avatars/ann/1-128.webp", "avatars/ann/never"])
    assert await storage.read("avatars/ann/1-128.webp", 1000) is None
    await storage.delete([])


async def test_an_upload_through_the_form_is_stored_under_its_key(
    store: tuple[AvatarStorage, Send, Send],
) -> None:
    storage, send, _ = store
    form = await storage.upload_form(policy("uploads/ann lee/abc", "image/jpeg"))
    data = photo()
    await send(form, data)
    held = await storage.read("uploads/ann lee/abc", AVATAR_MAX_BYTES)
    assert held is not None
    assert (held.data, held.content_type) == (data, "image/jpeg")


async def test_the_presigned_post_states_every_limit_in_its_policy(aws_env: dict[str, str]) -> None:
    from adapters.s3.trivia import S3AvatarStorage

    storage = S3AvatarStorage(boto_client("s3", aws_env), "avatars")
    asked = policy("uploads/ann/xyz", "image/png")
    form = await storage.upload_form(asked)
    document = json.loads(base64.b64decode(form.fields["policy"]))
    conditions = document["conditions"]
    assert {"bucket": "avatars"} in conditions
    assert {"key": "uploads/ann/xyz"} in conditions  # this key only, under uploads/<player>/
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, AVATAR_MAX_BYTES] in conditions
    expiration = datetime.fromisoformat(document["expiration"].replace("Z", "+00:00"))
    assert abs(expiration - asked.expires_at) < timedelta(seconds=5)
    assert form.fields["key"] == "uploads/ann/xyz"
    assert form.fields["Content-Type"] == "image/png"
    assert "x-amz-signature" in form.fields  # signed (SigV4), so the policy cannot be edited


async def test_the_processor_publishes_an_upload_and_deletes_one_beyond_the_limits(
    store: tuple[AvatarStorage, Send, Send],
) -> None:
    storage, send, sneak = store
    clock = ManualClock(datetime.now(UTC))
    profiles = InMemoryProfileStore()
    notifier = PlayerNotifier(InMemoryPushSubscriptionStore(), None, clock)
    processor = AvatarProcessor(
        profiles, storage, PillowImageProcessor(), InMemoryImageModerator(), notifier,
        AvatarUrls("https://cdn.example.com/"), clock,
    )  # fmt: skip
    later = int(clock.now().timestamp() * 1000) + 600_000
    good, big = "uploads/ann/good", "uploads/ann/big"
    for key in (good, big):
        await profiles.add_pending(PendingUpload(key, "ann", "image/jpeg", later), 0, 3)
    await send(await storage.upload_form(policy(good)), photo())
    await sneak(await storage.upload_form(policy(big)), photo() + bytes(AVATAR_MAX_BYTES))
    accepted = await processor.process(good)
    refused = await processor.process(big)
    assert accepted is not None
    assert refused is not None
    assert accepted.avatar is not None
    assert (accepted.outcome, refused.outcome) == (Outcome.ACCEPTED, Outcome.REJECTED)
    assert await storage.read(big, 10) is None
    assert await storage.read(good, 10) is None
    image = await storage.read(accepted.avatar.image_key, AVATAR_MAX_BYTES)
    assert image is not None
    assert image.content_type == "image/jpeg"
    assert image.data[:3] == b"\xff\xd8\xff"
