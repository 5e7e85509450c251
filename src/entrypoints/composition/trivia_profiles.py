"""Trivia profiles, avatars and notifications: ``TRIVIA_TABLE`` -> profiles, pending uploads
and push subscriptions in DynamoDB, else in memory; ``AVATARS_BUCKET`` -> the avatars in S3
(presigned POST uploads), else in memory behind the local server's own upload route;
``AVATARS_PUBLIC_URL`` -> the pictures' base URL (a CDN), else the bucket's or the local
server's ``/avatars/``; ``MODERATION_SERVICE`` (``rekognition`` by default with a bucket,
else ``memory``), ``MODERATION_MIN_CONFIDENCE``, ``MODERATION_REJECTED_DIGESTS`` (the
in-memory moderator's list); ``VAPID_PRIVATE_KEY``, else the key in ``VAPID_KEY_FILE`` on
the embedded default (elsewhere Web Push is off without a configured key), ``VAPID_SUBJECT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.trivia.avatars import AvatarProcessor, PlayerNotifier, ProfileService
from domain.trivia.profiles import AvatarUrls
from entrypoints.composition.shared import Backend, backend
from entrypoints.settings import ConfigurationError
from ports.trivia import (
    AvatarStorage,
    ImageModerator,
    ProfileStore,
    PushSubscriptionStore,
    WebPushSender,
)

if TYPE_CHECKING:
    from adapters.memory.trivia_profiles import InMemoryAvatarStorage
    from entrypoints.composition import Composition
    from entrypoints.composition.trivia import LiveContext

READS = (
    "trivia_table",
    "avatars_bucket",
    "avatars_public_url",
    "aws_endpoint_url",
    "moderation_service",
    "moderation_min_confidence",
    "moderation_rejected_digests",
    "vapid_private_key",
    "vapid_key_file",
    "vapid_subject",
    "auth_issuer",
)


@dataclass(frozen=True, slots=True)
class ProfilesContext:
    """``local``: the in-memory avatar store the local server's upload and picture routes
    use (None with a bucket); ``embedded``: the embedded default (no real identity
    provider), where push endpoints may be loopback and the VAPID key is made into a file."""

    profiles: ProfileService
    store: ProfileStore
    subscriptions: PushSubscriptionStore
    storage: AvatarStorage
    local: InMemoryAvatarStorage | None
    urls: AvatarUrls
    embedded: bool


def build_profiles(root: Composition) -> ProfilesContext:
    settings = root.settings
    store: ProfileStore
    subscriptions: PushSubscriptionStore
    table = settings.trivia_table
    if backend(table, settings) is Backend.AWS:
        from adapters.dynamodb.trivia_profiles import (
            DynamoDBProfileStore,
            DynamoDBPushSubscriptionStore,
        )

        assert table
        dynamodb = root.dynamodb("triviaTable", table)
        store = DynamoDBProfileStore(dynamodb, table)
        subscriptions = DynamoDBPushSubscriptionStore(dynamodb, table)
    else:
        from adapters.memory.trivia_profiles import (
            InMemoryProfileStore,
            InMemoryPushSubscriptionStore,
        )

        store, subscriptions = InMemoryProfileStore(), InMemoryPushSubscriptionStore()
    storage: AvatarStorage
    local: InMemoryAvatarStorage | None = None
    bucket = settings.avatars_bucket
    if backend(bucket, settings) is Backend.AWS:
        from adapters.s3.trivia import S3AvatarStorage

        assert bucket
        storage = S3AvatarStorage(root.clients.s3(), bucket)
        endpoint = settings.aws_endpoint_url
        base = (
            f"{endpoint.rstrip('/')}/{bucket}/"
            if endpoint
            else f"https://{bucket}.s3.amazonaws.com/"
        )
    else:
        from adapters.memory.trivia_profiles import InMemoryAvatarStorage

        storage = local = InMemoryAvatarStorage()
        base = "/"  # the keys start with avatars/: the local server's picture route
    urls = AvatarUrls(settings.avatars_public_url or base)
    service = ProfileService(store, root.trivia_context.progress, storage, root.clock)
    embedded = not settings.auth_issuer
    return ProfilesContext(service, store, subscriptions, storage, local, urls, embedded)


def web_push(root: Composition) -> WebPushSender | None:
    """The Web Push sender (one per process), None where Web Push is off."""
    settings = root.settings
    if not settings.vapid_private_key and not root.profiles_context.embedded:
        return None  # a key per process would not match the browsers' subscriptions
    from pathlib import Path

    import httpx

    from adapters.webpush.trivia import VapidWebPushSender, vapid_key

    try:
        key = vapid_key(settings.vapid_private_key, Path(settings.vapid_key_file))
    except ValueError as exc:
        raise ConfigurationError(f"VAPID_PRIVATE_KEY: {exc}") from exc
    client = root.clients.http(httpx.Timeout(5.0, connect=2.0))
    return VapidWebPushSender(client, key, settings.vapid_subject)


def notifier(root: Composition, live: LiveContext | None) -> PlayerNotifier:
    """The player notifier: Web Push, and the live connections of ``live`` if any."""
    context = root.profiles_context
    connections = None if live is None else live.connections
    pusher = None if live is None else live.pusher
    return PlayerNotifier(
        context.subscriptions, root.web_push, root.clock, connections, pusher,
        allow_loopback=context.embedded,
    )  # fmt: skip


def avatar_processor(root: Composition, live: LiveContext | None) -> AvatarProcessor:
    """The upload processor, telling players on ``live``'s connections (if any)."""
    context = root.profiles_context
    moderator = _moderator(root)
    from adapters.pillow.trivia import PillowImageProcessor

    return AvatarProcessor(
        context.store, context.storage, PillowImageProcessor(), moderator,
        notifier(root, live), context.urls, root.clock,
    )  # fmt: skip


def _moderator(root: Composition) -> ImageModerator:
    settings = root.settings
    service = settings.moderation_service or (
        "rekognition" if settings.avatars_bucket else "memory"
    )
    if service == "rekognition":
        from adapters.rekognition.trivia import RekognitionImageModerator

        return RekognitionImageModerator(
            root.clients.rekognition(), settings.moderation_min_confidence
        )
    from adapters.memory.trivia_profiles import InMemoryImageModerator

    return InMemoryImageModerator(settings.moderation_rejected_digests)
