"""Web Push for real: the VAPID sender posts to a loopback push service that checks each
message's VAPID signature and decrypts it with the subscription's private key; a 410 from
it prunes the subscription. The key file the embedded default makes is 0600."""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.memory.trivia_profiles import InMemoryPushSubscriptionStore
from adapters.webpush.trivia import VapidWebPushSender, vapid_key
from domain.trivia.avatars import PlayerNotifier
from domain.trivia.errors import PushUnavailableError
from domain.trivia.profiles import PushSubscription
from tests.support.fakes import ManualClock
from tests.support.push_service import LoopbackPushService

pytestmark = pytest.mark.anyio


@pytest.fixture
def push_service() -> Iterator[LoopbackPushService]:
    with LoopbackPushService() as service:
        yield service


@pytest.fixture
async def sender(tmp_path: Path) -> AsyncIterator[VapidWebPushSender]:
    async with httpx.AsyncClient(timeout=5) as client:
        key = vapid_key(None, tmp_path / "keys" / "vapid.pem")
        yield VapidWebPushSender(client, key, "mailto:ops@example.com")


def subscription(player: str, browser: dict[str, object]) -> PushSubscription:
    keys = browser["keys"]
    assert isinstance(keys, dict)
    return PushSubscription(player, str(browser["endpoint"]), keys["p256dh"], keys["auth"])


async def test_a_message_is_encrypted_for_the_subscription_and_signed(
    push_service: LoopbackPushService, sender: VapidWebPushSender
) -> None:
    browser = push_service.subscribe()
    message = json.dumps({"type": "avatar", "status": "accepted", "note": "ünïcode ✓"})
    assert await sender.send(subscription("ann", browser), message)
    assert push_service.messages(browser) == [message]
    assert push_service.refused == []
    assert push_service.vapid_keys == {sender.public_key()}  # signed with the served key


async def test_a_gone_subscription_is_pruned_and_others_still_hear(
    push_service: LoopbackPushService, sender: VapidWebPushSender
) -> None:
    kept, gone = push_service.subscribe(), push_service.subscribe()
    push_service.gone.add(str(gone["endpoint"]).rsplit("/", 1)[1])
    store = InMemoryPushSubscriptionStore()
    notifier = PlayerNotifier(store, sender, ManualClock(datetime.now(UTC)), allow_loopback=True)
    for browser in (gone, kept):
        keys = browser["keys"]
        assert isinstance(keys, dict)
        await notifier.subscribe("ann", str(browser["endpoint"]), keys["p256dh"], keys["auth"])
    await notifier.notify("ann", '{"type":"avatar"}')
    assert [s.endpoint for s in await store.of("ann")] == [kept["endpoint"]]
    assert push_service.messages(kept) == ['{"type":"avatar"}']


async def test_an_unreachable_push_service_is_unavailable_not_gone(
    push_service: LoopbackPushService, sender: VapidWebPushSender
) -> None:
    browser = push_service.subscribe()
    dead = {**browser, "endpoint": "http://127.0.0.1:9/push/x"}  # nothing listens on 9
    with pytest.raises(PushUnavailableError):
        await sender.send(subscription("ann", dead), "hello")


def test_the_generated_key_file_is_the_owners_alone_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "portside" / "vapid.pem"
    first = vapid_key(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = vapid_key(None, path)
    assert first.private_numbers() == again.private_numbers()


def test_a_configured_key_is_used_as_pem_or_raw(tmp_path: Path) -> None:
    import base64

    from cryptography.hazmat.primitives import serialization

    key = vapid_key(None, tmp_path / "k.pem")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    raw = base64.urlsafe_b64encode(key.private_numbers().private_value.to_bytes(32, "big"))
    for configured in (pem, raw.rstrip(b"=").decode()):
        assert vapid_key(configured, tmp_path / "unused.pem").private_numbers() == (
            key.private_numbers()
        )
    assert not (tmp_path / "unused.pem").exists()


async def test_a_key_that_is_no_curve_point_can_never_be_sent_to(
    push_service: LoopbackPushService, sender: VapidWebPushSender
) -> None:
    import base64

    browser = push_service.subscribe()
    off_curve = base64.urlsafe_b64encode(b"\x04" + bytes(64)).rstrip(b"=").decode()
    broken = {**browser, "keys": {**browser["keys"], "p256dh": off_curve}}  # type: ignore[dict-item]
    assert not await sender.send(subscription("ann", broken), "hello")  # the caller forgets it
