"""Profiles, avatar uploads and their notifications, on the in-memory adapters and the Pillow
image processor (the real one: it is the code under test as much as the use cases)."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from adapters.memory.shared import InProcessPusher
from adapters.memory.trivia import InMemoryConnectionRegistry, InMemoryProgressStore
from adapters.memory.trivia_profiles import (
    InMemoryAvatarStorage,
    InMemoryImageModerator,
    InMemoryProfileStore,
    InMemoryPushSubscriptionStore,
)
from adapters.pillow.trivia import PillowImageProcessor
from domain.leaderboards.model import Entry, Page, RankedEntry
from domain.shared.connections import Connection
from domain.shared.time import to_millis
from domain.trivia.avatars import AvatarProcessor, PlayerNotifier, ProfileService
from domain.trivia.errors import (
    InvalidProfileError,
    InvalidPushSubscriptionError,
    TooManyUploadsError,
    UploadRefusedError,
)
from domain.trivia.profiles import AVATAR_MAX_BYTES, AvatarUrls, Outcome, Picture, digest
from tests.support.fakes import ManualClock, RecordingWebPushSender
from tests.support.images import photo, png_bomb, transparent_png

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEY = base64.urlsafe_b64encode(b"\x04" + bytes(64)).rstrip(b"=").decode()
AUTH = base64.urlsafe_b64encode(bytes(16)).rstrip(b"=").decode()


async def sneak(storage: InMemoryAvatarStorage, key: str, data: bytes, kind: str) -> None:
    """An object that reached the store however it came (a bucket that did not enforce its
    form's policy)."""
    await storage.publish(key, Picture(kind, data, 0, 0, ""))


@dataclass
class World:
    clock: ManualClock
    profiles: InMemoryProfileStore
    storage: InMemoryAvatarStorage
    service: ProfileService
    processor: AvatarProcessor
    notifier: PlayerNotifier
    subscriptions: InMemoryPushSubscriptionStore
    push: RecordingWebPushSender
    connections: InMemoryConnectionRegistry
    frames: dict[str, list[str]]

    async def upload(self, player: str, data: bytes, content_type: str = "image/jpeg") -> str:
        """Ask for a form and send ``data`` through it, as a browser would; the key."""
        form = await self.service.request_upload(player, content_type)
        return self.storage.accept(form.fields, data, self.clock.now())


@pytest.fixture
def world() -> World:
    clock = ManualClock(NOW)
    profiles, storage = InMemoryProfileStore(), InMemoryAvatarStorage()
    subscriptions, push = InMemoryPushSubscriptionStore(), RecordingWebPushSender()
    connections, pusher = InMemoryConnectionRegistry(), InProcessPusher()
    frames: dict[str, list[str]] = {}
    for connection_id in ("c1", "c2"):
        frames[connection_id] = []
        pusher.register(connection_id, lambda f, into=frames[connection_id]: into.append(f) or True)
    notifier = PlayerNotifier(subscriptions, push, clock, connections, pusher)
    rejected = InMemoryImageModerator([digest(photo(seed=9))])
    service = ProfileService(profiles, InMemoryProgressStore(), storage, clock)
    processor = AvatarProcessor(
        profiles, storage, PillowImageProcessor(), rejected, notifier, AvatarUrls("/"), clock
    )
    return World(
        clock, profiles, storage, service, processor, notifier, subscriptions, push,
        connections, frames,
    )  # fmt: skip


async def test_an_accepted_photo_becomes_the_avatar_re_encoded_without_metadata(
    world: World,
) -> None:
    key = await world.upload("ann", photo(800, 600))
    result = await world.processor.process(key)
    assert result is not None
    assert result.outcome is Outcome.ACCEPTED
    profile = (await world.service.profile("ann")).profile
    assert profile.avatar == result.avatar
    assert profile.avatar is not None
    # The upload is gone; only the re-encoded pictures are stored.
    assert world.storage.stored() == sorted(
        [profile.avatar.image_key, profile.avatar.thumbnail_key]
    )
    image = world.storage.public(profile.avatar.image_key)
    thumbnail = world.storage.public(profile.avatar.thumbnail_key)
    assert image is not None
    assert thumbnail is not None
    decoded = Image.open(io.BytesIO(image.data))
    assert (decoded.format, image.content_type) == ("JPEG", "image/jpeg")
    assert decoded.size == (384, 512)  # EXIF orientation 6 applied: upright, at most 512
    assert not decoded.getexif()  # no GPS position, no camera, nothing
    assert "comment" not in decoded.info
    small = Image.open(io.BytesIO(thumbnail.data))
    assert (small.format, small.size, thumbnail.content_type) == ("WEBP", (128, 128), "image/webp")
    assert not small.getexif()


async def test_a_new_avatar_replaces_the_previous_ones_objects(world: World) -> None:
    first = await world.processor.process(await world.upload("ann", photo(seed=1)))
    second = await world.processor.process(
        await world.upload("ann", transparent_png(), "image/png")
    )
    assert first is not None
    assert second is not None
    assert first.avatar is not None
    assert second.avatar is not None
    assert second.avatar.image_key.endswith(".png")  # transparency kept: PNG
    assert world.storage.stored() == sorted([second.avatar.image_key, second.avatar.thumbnail_key])
    assert world.storage.public(first.avatar.image_key) is None


@pytest.mark.parametrize(
    ("data", "declared", "reason"),
    [
        (transparent_png(), "image/jpeg", "not a JPEG image"),  # a PNG that says JPEG
        (b"<script>alert(1)</script>" * 10, "image/png", "not a PNG image"),
        (png_bomb(), "image/png", "too many pixels"),
        (photo(5000, 20, kind="PNG"), "image/png", "at most 4096 px a side"),
        (photo()[:3000], "image/jpeg", "damaged JPEG data"),
    ],
    ids=["lying-type", "not-an-image", "decompression-bomb", "oversized", "truncated"],
)
async def test_an_image_that_is_not_what_it_claims_is_rejected_and_deleted(
    world: World, data: bytes, declared: str, reason: str
) -> None:
    before = await world.processor.process(await world.upload("ann", photo(seed=2)))
    assert before is not None
    key = await world.upload("ann", data, declared)
    result = await world.processor.process(key)
    assert result is not None
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None
    assert reason in result.reason
    assert (await world.service.profile("ann")).profile.avatar == before.avatar  # unchanged
    assert world.storage.public(key) is None
    assert key not in world.storage.stored()


async def test_a_rejected_image_is_deleted_and_never_shown(world: World) -> None:
    key = await world.upload("ann", photo(seed=9))  # on the moderator's list
    result = await world.processor.process(key)
    assert result is not None
    assert (result.outcome, result.reason) == (Outcome.REJECTED, "rejected by moderation")
    assert (await world.service.profile("ann")).profile.avatar is None
    assert world.storage.stored() == []  # nothing kept, not even re-encoded copies


async def test_an_object_beyond_the_limits_that_reached_the_store_is_deleted(
    world: World,
) -> None:
    # The store did not enforce its policy (moto does not): the processor checks again.
    form = await world.service.request_upload("ann", "image/jpeg")
    key = form.policy.key
    await sneak(world.storage, key, photo() + bytes(AVATAR_MAX_BYTES), "image/jpeg")
    result = await world.processor.process(key)
    assert result is not None
    assert result.outcome is Outcome.REJECTED
    assert result.reason == "larger than 2 MB"
    assert world.storage.stored() == []
    form = await world.service.request_upload("ann", "image/png")
    await sneak(world.storage, form.policy.key, transparent_png(), "image/jpeg")
    wrong = await world.processor.process(form.policy.key)
    assert wrong is not None
    assert wrong.reason == "stored as 'image/jpeg', not the 'image/png' asked for"


async def test_processing_is_once_per_key_and_leaves_no_stranger_objects(world: World) -> None:
    key = await world.upload("ann", photo())
    assert await world.processor.process(key) is not None
    stored = world.storage.stored()
    assert await world.processor.process(key) is None  # a repeated event: nothing changes
    assert world.storage.stored() == stored
    assert len(world.push.sent) == 0  # no subscription yet; and live: one frame only
    await sneak(world.storage, "uploads/bob/made-up", photo(), "image/jpeg")
    assert await world.processor.process("uploads/bob/made-up") is None  # never asked for
    assert world.storage.stored() == stored
    assert (await world.service.profile("bob")).profile.avatar is None


async def test_at_most_three_uploads_are_pending_and_an_entry_expires(world: World) -> None:
    for _ in range(3):
        await world.service.request_upload("ann", "image/webp")
    with pytest.raises(TooManyUploadsError):
        await world.service.request_upload("ann", "image/webp")
    await world.service.request_upload("bob", "image/webp")  # another player's own three
    world.clock.advance(timedelta(minutes=16))
    await world.service.request_upload("ann", "image/webp")


async def test_the_upload_form_holds_the_upload_to_its_policy(world: World) -> None:
    form = await world.service.request_upload("ann", "image/png")
    policy = json.loads(base64.b64decode(form.fields["policy"]))
    assert policy["conditions"] == [
        {"key": form.policy.key},
        {"Content-Type": "image/png"},
        ["content-length-range", 1, AVATAR_MAX_BYTES],
    ]
    assert form.policy.key.startswith("uploads/ann/")
    assert policy["expiration"] == "2026-12-02T12:05:00.000Z"
    fields = dict(form.fields)
    with pytest.raises(UploadRefusedError, match="Content-Type"):
        world.storage.accept({**fields, "Content-Type": "text/html"}, b"x", NOW)
    with pytest.raises(UploadRefusedError, match="key"):
        world.storage.accept({**fields, "key": "avatars/ann/evil.png"}, b"x", NOW)
    with pytest.raises(UploadRefusedError, match="1 to 2097152 bytes"):
        world.storage.accept(fields, bytes(AVATAR_MAX_BYTES + 1), NOW)
    with pytest.raises(UploadRefusedError, match="signed"):
        world.storage.accept({**fields, "policy": base64.b64encode(b"{}").decode()}, b"x", NOW)
    with pytest.raises(UploadRefusedError, match="expired"):
        world.storage.accept(fields, b"x", NOW + timedelta(minutes=5))
    assert world.storage.stored() == []


async def test_the_result_reaches_the_players_live_connections_and_push_subscriptions(
    world: World,
) -> None:
    expires = to_millis(NOW) + 3_600_000
    await world.connections.add(Connection("c1", "ann", expires, None))
    await world.connections.add(Connection("c2", "bob", expires, None))
    await world.notifier.subscribe("ann", "https://push.example.com/a", KEY, AUTH)
    await world.notifier.subscribe("ann", "https://push.example.com/gone", KEY, AUTH)
    world.push.gone.add("https://push.example.com/gone")
    result = await world.processor.process(await world.upload("ann", photo()))
    assert result is not None
    assert result.avatar is not None
    (frame,) = world.frames["c1"]
    assert json.loads(frame) == {
        "type": "avatar", "status": "accepted", "upload": result.key,
        "avatarUrl": "/" + result.avatar.image_key,
        "thumbnailUrl": "/" + result.avatar.thumbnail_key,
    }  # fmt: skip
    assert world.frames["c2"] == []  # bob's connection hears nothing of ann's
    assert world.push.sent == [("https://push.example.com/a", frame)]
    # The push service said the other subscription is gone: it is forgotten.
    assert [s.endpoint for s in await world.subscriptions.of("ann")] == [
        "https://push.example.com/a"
    ]


def test_a_display_name_is_plain_text_of_1_to_40_characters() -> None:
    from domain.trivia.profiles import checked_display_name

    assert checked_display_name("  Ann Lee ✓ ") == "Ann Lee ✓"
    for bad in ("", "   ", "x" * 41, "evil\u202etxt", "line\nbreak", "\x00"):
        with pytest.raises(InvalidProfileError):
            checked_display_name(bad)


async def test_me_is_nobodys_username(world: World) -> None:
    with pytest.raises(InvalidProfileError):
        await world.service.profile("me")
    with pytest.raises(InvalidProfileError):
        await world.service.rename("me", "Me")


@pytest.mark.parametrize(
    ("endpoint", "loopback_allowed", "ok"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", False, True),
        ("https://updates.push.services.mozilla.com/wpush/v2/x", False, True),
        ("http://fcm.googleapis.com/fcm/send/abc", False, False),  # not https
        ("https://fcm.googleapis.com:8443/x", False, False),  # another port
        ("https://127.0.0.1/x", False, False),
        ("https://localhost/x", False, False),
        ("https://10.0.0.8/x", False, False),  # private
        ("https://169.254.169.254/latest/meta-data", False, False),  # the metadata service
        ("https://[::1]/x", False, False),
        ("https://intranet/x", False, False),  # no dot: a local name
        ("https://printer.local/x", False, False),
        ("https://user:pw@push.example.com/x", False, False),
        # every other spelling of an address: no address literal is a push service
        ("https://127.1/x", False, False),
        ("https://0x7f.0.0.1/x", False, False),
        ("https://169.254.43518/x", False, False),  # the metadata service, two ways
        ("https://0251.0376.0251.0376/x", False, False),
        ("https://8.8.8.8/x", False, False),
        ("https://[64:ff9b::a9fe:a9fe]/x", False, False),  # NAT64 of it
        ("https://[2002:a9fe:a9fe::]/x", False, False),  # 6to4 of it
        ("https://127.0.0\u30021/x", False, False),  # an ideographic full stop
        ("https://push.example.com/x\r\nX-Injected: 1", False, False),
        ("https://example.123/x", False, False),
        ("http://127.0.0.1:8123/push/x", True, True),  # the embedded default and tests
        ("http://10.0.0.8/x", True, False),  # loopback only, not any private address
        ("not a url", False, False),
    ],
)
async def test_push_endpoints_are_public_https_hosts_only(
    world: World, endpoint: str, loopback_allowed: bool, ok: bool
) -> None:
    notifier = PlayerNotifier(
        world.subscriptions, world.push, world.clock, allow_loopback=loopback_allowed
    )
    if ok:
        await notifier.subscribe("ann", endpoint, KEY, AUTH)
        assert [s.endpoint for s in await world.subscriptions.of("ann")] == [endpoint]
    else:
        with pytest.raises(InvalidPushSubscriptionError):
            await notifier.subscribe("ann", endpoint, KEY, AUTH)


async def test_push_keys_have_the_sizes_of_rfc_8291(world: World) -> None:
    with pytest.raises(InvalidPushSubscriptionError, match=r"keys\.p256dh.*keys\.auth"):
        await world.notifier.subscribe("ann", "https://push.example.com/a", AUTH, KEY)


async def test_board_entries_get_their_players_avatars_in_one_read(world: World) -> None:
    result = await world.processor.process(await world.upload("ann", photo()))
    assert result is not None

    def ranked(rank: int, member: str) -> RankedEntry:
        return RankedEntry(rank, Entry(member, 1, NOW))  # type: ignore[arg-type]

    page = Page("trivia-demo-1", [ranked(1, "ann"), ranked(2, "bob")], ranked(2, "bob"), 2)
    assert await world.service.avatars(page) == {"ann": result.avatar}
