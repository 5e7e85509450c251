"""Profile use cases: reading and renaming profiles, asking for an avatar upload,
processing it (checked, moderated, shrunk), and telling the player the result on their live
connections and by Web Push. The rules are in ``domain.trivia.profiles``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from domain.leaderboards.model import Page
from domain.shared.errors import UnavailableError
from domain.shared.time import to_millis
from domain.trivia.errors import InvalidImageError, PushNotConfiguredError, PushUnavailableError
from domain.trivia.profiles import (
    AVATAR_MAX_BYTES,
    PENDING_UPLOADS,
    PUSH_SUBSCRIPTIONS,
    Avatar,
    AvatarResult,
    AvatarUrls,
    Outcome,
    PlayerProfile,
    PushSubscription,
    UploadForm,
    avatar_keys,
    checked_display_name,
    checked_subscription,
    checked_username,
    new_upload,
    refusal,
    too_many_uploads,
)
from ports.shared import Clock, Pusher
from ports.trivia import (
    AvatarStorage,
    ConnectionRegistry,
    ImageModerator,
    ImageProcessor,
    ProfileStore,
    ProgressStore,
    PushSubscriptionStore,
    WebPushSender,
)

log = logging.getLogger(__name__)


class ProfileService:
    """Profiles, and the avatar uploads players ask for."""

    def __init__(
        self,
        profiles: ProfileStore,
        progress: ProgressStore,
        storage: AvatarStorage,
        clock: Clock,
    ) -> None:
        self._profiles = profiles
        self._progress = progress
        self._storage = storage
        self._clock = clock

    async def profile(self, username: str) -> PlayerProfile:
        """Anyone's profile, level and wins (an empty profile for a player never seen)."""
        checked_username(username)
        profile, progress = await asyncio.gather(
            self._profiles.get(username), self._progress.get(username)
        )
        return PlayerProfile(profile, progress)

    async def rename(self, me: str, display_name: str) -> PlayerProfile:
        checked_username(me)
        await self._profiles.rename(me, checked_display_name(display_name))
        return await self.profile(me)

    async def request_upload(self, me: str, content_type: str) -> UploadForm:
        """A form for one avatar upload of ``content_type``; TooManyUploadsError when the
        player already has 3 pending."""
        checked_username(me)
        now = self._clock.now()
        policy, pending = new_upload(me, content_type, now)
        if not await self._profiles.add_pending(pending, to_millis(now), PENDING_UPLOADS):
            raise too_many_uploads()
        return await self._storage.upload_form(policy)

    async def avatars(self, page: Page) -> Mapping[str, Avatar]:
        """The avatars of a board page's players (members are usernames), read in one batch
        at read time: a replaced avatar never leaves a stale link on a board."""
        players = [e.entry.member for e in page.entries]
        if page.me is not None:
            players.append(page.me.entry.member)
        if not players:
            return {}
        found = await self._profiles.get_many(list(dict.fromkeys(players)))
        return {p.username: p.avatar for p in found if p.avatar is not None}


class PlayerNotifier:
    """Tells a player something: on each of their live connections, and by Web Push to each
    of their subscriptions (``push`` None: Web Push is off here). Subscriptions and
    connections that are gone are forgotten; a push service that fails now loses that one
    message for that one subscription (logged), never the others'; a store that cannot
    answer loses that channel's message (logged): the result is on the profile anyway, and
    the work it reports is done."""

    def __init__(
        self,
        subscriptions: PushSubscriptionStore,
        push: WebPushSender | None,
        clock: Clock,
        connections: ConnectionRegistry | None = None,
        pusher: Pusher | None = None,
        *,
        allow_loopback: bool = False,
    ) -> None:
        self._subscriptions = subscriptions
        self._push = push
        self._clock = clock
        self._connections = connections
        self._pusher = pusher
        self._allow_loopback = allow_loopback

    def public_key(self) -> str:
        """The VAPID public key browsers subscribe with; PushNotConfiguredError when off."""
        if self._push is None:
            raise PushNotConfiguredError()
        return self._push.public_key()

    async def subscribe(self, me: str, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
        if self._push is None:
            raise PushNotConfiguredError()
        subscription = checked_subscription(
            me, endpoint, p256dh, auth, allow_loopback=self._allow_loopback
        )
        await self._subscriptions.add(subscription, PUSH_SUBSCRIPTIONS)
        return subscription

    async def unsubscribe(self, me: str, endpoint: str) -> None:
        await self._subscriptions.remove(me, endpoint)

    async def notify(self, player: str, message: str) -> None:
        await asyncio.gather(self._live(player, message), self._web_push(player, message))

    async def _live(self, player: str, message: str) -> None:
        if self._connections is None or self._pusher is None:
            return
        now = to_millis(self._clock.now())
        try:
            held = await self._connections.members(f"player:{player}", now)
            for gone in await self._pusher.push(held, message):
                await self._connections.remove(gone.connection_id)
        except UnavailableError as exc:  # told by Web Push still; the profile shows it
            log.warning("live notification of %r failed: %s", player, exc.detail)

    async def _web_push(self, player: str, message: str) -> None:
        if self._push is None:
            return
        try:
            subscriptions = await self._subscriptions.of(player)
        except UnavailableError as exc:
            log.warning("web push to %r skipped: %s", player, exc.detail)
            return
        push = self._push

        async def send(subscription: PushSubscription) -> None:
            try:
                delivered = await push.send(subscription, message)
            except PushUnavailableError as exc:
                log.warning("web push to a subscription of %r failed: %s", player, exc.detail)
                return
            if not delivered:
                await self._subscriptions.remove(player, subscription.endpoint)

        # At once (at most PUSH_SUBSCRIPTIONS): a slow push service delays no other.
        await asyncio.gather(*(send(s) for s in subscriptions))


class AvatarProcessor:
    """Processes one stored upload, once per key (see ``domain.trivia.profiles``)."""

    def __init__(
        self,
        profiles: ProfileStore,
        storage: AvatarStorage,
        images: ImageProcessor,
        moderator: ImageModerator,
        notifier: PlayerNotifier,
        urls: AvatarUrls,
        clock: Clock,
    ) -> None:
        self._profiles = profiles
        self._storage = storage
        self._images = images
        self._moderator = moderator
        self._notifier = notifier
        self._urls = urls
        self._clock = clock

    async def process(self, key: str) -> AvatarResult | None:
        """The upload at ``key``: checked, moderated, published and told to its player;
        None when there was nothing to do (not a pending upload: a repeated event, a second
        object sent with a used form, or a stranger's object — removed either way).
        Store and moderation failures raise (the event is retried; nothing was consumed)."""
        pending = await self._profiles.pending(key, to_millis(self._clock.now()))
        if pending is None:
            await self._storage.delete([key])
            return None
        stored = await self._storage.read(key, AVATAR_MAX_BYTES)
        if stored is None:
            return None  # a later event for it comes, or the entry expires
        reason = refusal(pending, stored)
        avatar: Avatar | None = None
        if reason is None:
            try:
                rendition = await asyncio.to_thread(
                    self._images.render, stored.data, pending.content_type
                )
            except InvalidImageError as exc:
                reason = exc.detail
            else:
                verdict = await self._moderator.moderate(rendition.image)
                if verdict.accepted:
                    avatar = avatar_keys(
                        pending.player, key,
                        rendition.image.content_type, rendition.thumbnail.content_type,
                    )  # fmt: skip
                    await self._storage.publish(avatar.image_key, rendition.image)
                    await self._storage.publish(avatar.thumbnail_key, rendition.thumbnail)
                else:
                    reason = verdict.reason or "not accepted by moderation"
        first, previous = await self._profiles.finish(pending, avatar)
        # The upload itself never stays (its public copies are re-encoded).
        await self._storage.delete([key])
        if not first:
            return None  # a concurrent delivery of this event did it
        if avatar is not None and previous is not None and previous != avatar:
            await self._storage.delete([previous.image_key, previous.thumbnail_key])
        if avatar is None:
            result = AvatarResult(key, pending.player, Outcome.REJECTED, reason)
        else:
            result = AvatarResult(key, pending.player, Outcome.ACCEPTED, avatar=avatar)
        log.info("avatar upload %s of %r %s", key, pending.player, result.outcome.value)
        await self._notifier.notify(pending.player, result.message(self._urls))
        return result
