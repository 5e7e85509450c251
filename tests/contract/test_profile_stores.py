"""Contracts of the profile store (profiles, pending uploads) and the push subscription store:
in memory and in DynamoDB (``moto_server``)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.trivia_profiles import InMemoryProfileStore, InMemoryPushSubscriptionStore
from domain.trivia.profiles import Avatar, PendingUpload, Profile, PushSubscription
from ports.trivia import ProfileStore, PushSubscriptionStore
from tests.support.services import trivia_table

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000_000
LATER = NOW + 900_000


@pytest.fixture(params=["memory", "dynamodb"])
def profiles(request: pytest.FixtureRequest) -> ProfileStore:
    if request.param == "memory":
        return InMemoryProfileStore()
    from adapters.dynamodb.trivia_profiles import DynamoDBProfileStore

    return DynamoDBProfileStore(*trivia_table(request.getfixturevalue("aws_env")))


@pytest.fixture(params=["memory", "dynamodb"])
def subscriptions(request: pytest.FixtureRequest) -> PushSubscriptionStore:
    if request.param == "memory":
        return InMemoryPushSubscriptionStore()
    from adapters.dynamodb.trivia_profiles import DynamoDBPushSubscriptionStore

    return DynamoDBPushSubscriptionStore(*trivia_table(request.getfixturevalue("aws_env")))


def pending(key: str, player: str = "ann lee", expires_at: int = LATER) -> PendingUpload:
    return PendingUpload(key, player, "image/jpeg", expires_at)


async def test_a_profile_is_empty_until_set_and_read_in_batches(profiles: ProfileStore) -> None:
    assert await profiles.get("ann lee") == Profile("ann lee")
    assert await profiles.rename("ann lee", "Ann ✓") == Profile("ann lee", "Ann ✓")
    assert await profiles.get("ann lee") == Profile("ann lee", "Ann ✓")
    await profiles.rename("bob", "Bob")
    found = await profiles.get_many(["bob", "nobody", "ann lee"])
    assert sorted(p.username for p in found) == ["ann lee", "bob"]  # only those with one


async def test_finishing_an_upload_consumes_it_once_and_swaps_the_avatar(
    profiles: ProfileStore,
) -> None:
    first, second = Avatar("avatars/a/1.jpg", "avatars/a/1-128.webp"), Avatar("b.jpg", "b.webp")
    await profiles.rename("ann lee", "Ann")
    assert await profiles.add_pending(pending("uploads/a/1"), NOW, 3)
    assert await profiles.pending("uploads/a/1", NOW) == pending("uploads/a/1")
    assert await profiles.finish(pending("uploads/a/1"), first) == (True, None)
    assert await profiles.finish(pending("uploads/a/1"), second) == (False, None)  # consumed
    assert await profiles.pending("uploads/a/1", NOW) is None
    assert await profiles.get("ann lee") == Profile("ann lee", "Ann", first)
    assert await profiles.add_pending(pending("uploads/a/2"), NOW, 3)
    assert await profiles.finish(pending("uploads/a/2"), second) == (True, first)
    assert (await profiles.get("ann lee")).avatar == second
    # A rejected upload: consumed, the avatar untouched.
    assert await profiles.add_pending(pending("uploads/a/3"), NOW, 3)
    consumed, _ = await profiles.finish(pending("uploads/a/3"), None)
    assert consumed
    assert (await profiles.get("ann lee")).avatar == second
    assert (await profiles.get_many(["ann lee"]))[0].avatar == second


async def test_a_player_has_at_most_the_limit_pending_until_they_finish_or_expire(
    profiles: ProfileStore,
) -> None:
    for n in range(3):
        assert await profiles.add_pending(pending(f"uploads/a/{n}"), NOW, 3)
    assert not await profiles.add_pending(pending("uploads/a/9"), NOW, 3)
    assert await profiles.add_pending(pending("uploads/b/1", "bob"), NOW, 3)  # bob's own
    await profiles.finish(pending("uploads/a/0"), None)
    assert await profiles.add_pending(pending("uploads/a/3"), NOW, 3)
    assert not await profiles.add_pending(pending("uploads/a/4"), NOW, 3)
    # Once expired, an entry no longer counts, and is no longer pending.
    assert await profiles.add_pending(pending("uploads/a/5", expires_at=LATER * 2), LATER, 3)
    assert await profiles.pending("uploads/a/1", LATER) is None


async def test_concurrent_requests_never_pass_the_limit(profiles: ProfileStore) -> None:
    taken = await asyncio.gather(
        *(profiles.add_pending(pending(f"uploads/a/{n}"), NOW, 3) for n in range(8))
    )
    assert sum(taken) == 3


async def test_push_subscriptions_are_kept_by_endpoint_newest_last(
    subscriptions: PushSubscriptionStore,
) -> None:
    def sub(n: int, player: str = "ann lee") -> PushSubscription:
        return PushSubscription(player, f"https://push.example.com/{n}", f"key{n}", f"auth{n}")

    for n in range(4):
        await subscriptions.add(sub(n), keep=3)
    assert await subscriptions.of("ann lee") == [sub(1), sub(2), sub(3)]  # the oldest went
    renewed = PushSubscription("ann lee", sub(2).endpoint, "new", "new")
    await subscriptions.add(renewed, keep=3)
    assert await subscriptions.of("ann lee") == [sub(1), sub(3), renewed]
    await subscriptions.remove("ann lee", sub(1).endpoint)
    await subscriptions.remove("ann lee", "https://push.example.com/never")
    assert await subscriptions.of("ann lee") == [sub(3), renewed]
    assert await subscriptions.of("bob") == []
