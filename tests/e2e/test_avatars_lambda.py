"""The avatars on AWS, end to end: a player's upload through the presigned POST to moto S3,
the bucket's event handled by ``trivia_avatars.upload_handler`` (profiles in DynamoDB), and
the result told on the player's WebSocket connection (a loopback Management API) and by Web
Push (a loopback push service that decrypts). A rejected image leaves nothing behind; a
repeated event changes nothing."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from adapters.dynamodb.trivia_live import DynamoDBConnectionRegistry
from adapters.memory.shared import InMemoryDeadLetters
from domain.shared.connections import Connection
from domain.trivia.profiles import digest
from entrypoints.aws_lambda.trivia_avatars import AvatarHandlers
from entrypoints.composition import Composition
from entrypoints.settings import Settings
from tests.support.images import photo
from tests.support.management_api import ManagementApi
from tests.support.push_service import LoopbackPushService
from tests.support.services import DEV_KEY_FILE, VAPID_KEY_FILE, boto_client, trivia_table

REJECTED = photo(seed=7)


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    # S3 writes keys form-encoded in its notifications ("ann lee" -> "ann+lee").
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
              "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key)}}}  # fmt: skip
    return {"Records": [record]}


World = tuple[Composition, Any, ManagementApi, LoopbackPushService, str]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop of one Lambda execution environment (the handlers run on it)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def world(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, loop: asyncio.AbstractEventLoop
) -> Iterator[World]:
    for name, value in aws_env.items():
        monkeypatch.setenv(name, value)
    client, table = trivia_table(aws_env)
    bucket = f"avatars-{uuid.uuid4().hex[:8]}"
    boto_client("s3", aws_env).create_bucket(Bucket=bucket)
    with ManagementApi() as api, LoopbackPushService() as push:
        settings = Settings(
            trivia_table=table, avatars_bucket=bucket, aws_endpoint_url=aws_env["AWS_ENDPOINT_URL"],
            moderation_service="memory", moderation_rejected_digests=(digest(REJECTED),),
            live_callback_url=api.url, vapid_key_file=str(VAPID_KEY_FILE),
            auth_dev_key_file=str(DEV_KEY_FILE),
        )  # fmt: skip
        composition = Composition(settings)
        yield composition, client, api, push, bucket
        loop.run_until_complete(composition.aclose())


def test_an_upload_is_processed_from_its_s3_event_and_told_to_the_player(
    world: World, loop: asyncio.AbstractEventLoop
) -> None:
    composition, client, api, push, bucket = world
    run = loop.run_until_complete
    handlers = AvatarHandlers(composition, run)
    player = "ann lee"
    registry = DynamoDBConnectionRegistry(client, composition.settings.trivia_table or "")
    run(registry.add(Connection("conn-1", player, 4_000_000_000_000)))
    browser = push.subscribe()
    keys = browser["keys"]
    run(composition.notifier.subscribe(player, browser["endpoint"], keys["p256dh"], keys["auth"]))

    def upload(data: bytes) -> str:
        form = run(composition.profiles.request_upload(player, "image/jpeg"))
        files = {"file": ("me.jpg", data, "image/jpeg")}
        answer = httpx.post(form.url, data=dict(form.fields), files=files)
        assert answer.status_code in (200, 204), answer.text
        return form.policy.key

    key = upload(photo())
    assert handlers.upload(s3_event(bucket, key), None) == {"processed": 1}
    (frame,) = api.frames["conn-1"]
    assert (frame["type"], frame["status"], frame["upload"]) == ("avatar", "accepted", key)
    assert frame["thumbnailUrl"].startswith(f"{composition.settings.aws_endpoint_url}/{bucket}/")
    assert push.messages(browser)
    assert push.refused == []
    profile = run(composition.profiles.profile(player)).profile
    assert profile.avatar is not None
    s3 = boto_client("s3", dict(os.environ))
    stored = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert stored == sorted([profile.avatar.image_key, profile.avatar.thumbnail_key])
    # Served through the CDN on AWS (the bucket is private): read it as the CDN would.
    thumbnail = s3.get_object(Bucket=bucket, Key=profile.avatar.thumbnail_key)
    assert frame["thumbnailUrl"].endswith(quote(profile.avatar.thumbnail_key))
    assert thumbnail["ContentType"] == "image/webp"
    assert thumbnail["Body"].read()[:4] == b"RIFF"

    # The same event again (S3 delivers at least once): nothing changes, nobody is told.
    assert handlers.upload(s3_event(bucket, key), None) == {"processed": 1}
    assert len(api.frames["conn-1"]) == 1

    bad = upload(REJECTED)
    handlers.upload(s3_event(bucket, bad), None)
    rejected = api.frames["conn-1"][-1]
    assert (rejected["status"], rejected["reason"]) == ("rejected", "rejected by moderation")
    assert run(composition.profiles.profile(player)).profile.avatar == profile.avatar
    again = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert again == stored  # the rejected upload is gone, nothing of it was published
    assert len(push.messages(browser, count=2)) == 2


def test_a_record_that_is_not_an_object_notification_is_dead_lettered(
    world: World, loop: asyncio.AbstractEventLoop
) -> None:
    composition, *_ = world
    handlers = AvatarHandlers(composition, loop.run_until_complete)
    answer = handlers.upload({"Records": [{"eventSource": "aws:s3"}]}, None)
    assert answer == {"processed": 0}
    dead = composition.dead_letters
    assert isinstance(dead, InMemoryDeadLetters)
    ((source, _, reason),) = dead.letters
    assert (source, reason) == ("trivia-avatars", "not an S3 object notification (no 's3')")


def test_the_http_route_answers_the_buckets_presigned_post(
    world: World, loop: asyncio.AbstractEventLoop
) -> None:
    # The Lambda's HTTP app: the form goes straight to the bucket, and it takes the upload.
    from entrypoints.http.app import create_app

    composition, *_, bucket = world
    app = create_app(composition, ("trivia",), sockets=False)
    identity = composition.dev_identity
    assert identity is not None
    headers = {"Authorization": f"Bearer {identity().issue('ann')}"}

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as http:
            return await http.post(
                "/players/me/avatar", headers=headers, json={"contentType": "image/jpeg"}
            )

    answer = loop.run_until_complete(ask())
    assert answer.status_code == 201, answer.text
    form = answer.json()
    assert form["url"] == f"{composition.settings.aws_endpoint_url}/{bucket}"
    files = {"file": ("me.jpg", photo(), "image/jpeg")}
    sent = httpx.post(form["url"], data=form["fields"], files=files)
    assert sent.status_code in (200, 204), sent.text
    s3 = boto_client("s3", dict(os.environ))
    assert s3.head_object(Bucket=bucket, Key=form["key"])["ContentType"] == "image/jpeg"
