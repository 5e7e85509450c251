"""In-memory adapters of the trivia profiles (the embedded default and the unit tests):
profiles and pending uploads, push subscriptions, an avatar store that plays the object
store's part (its upload form holds the same policy an S3 POST does, and it enforces it),
and a moderator with a list of rejected images. (The Web Push sender's double, which only
records, is the tests' own: ``tests/support/fakes.py``.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain.trivia.errors import UploadRefusedError
from domain.trivia.profiles import (
    AVATAR_PREFIX,
    Avatar,
    PendingUpload,
    Picture,
    Profile,
    PushSubscription,
    StoredObject,
    UploadForm,
    UploadPolicy,
    Verdict,
)

#: Where the local server receives the upload forms' POSTs, and serves the public pictures.
UPLOAD_PATH = "/avatar-uploads"


class InMemoryProfileStore:
    """ProfileStore of one process."""

    def __init__(self) -> None:
        self._profiles: dict[str, Profile] = {}
        self._pending: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()

    async def get(self, username: str) -> Profile:
        return self._profiles.get(username) or Profile(username)

    async def get_many(self, usernames: Sequence[str]) -> list[Profile]:
        return [self._profiles[u] for u in usernames if u in self._profiles]

    async def rename(self, username: str, display_name: str) -> Profile:
        with self._lock:
            profile = replace(await self.get(username), display_name=display_name)
            self._profiles[username] = profile
        return profile

    async def add_pending(self, upload: PendingUpload, now: int, limit: int) -> bool:
        with self._lock:
            for stale in [k for k, p in self._pending.items() if p.expires_at <= now]:
                del self._pending[stale]
            if sum(p.player == upload.player for p in self._pending.values()) >= limit:
                return False
            self._pending[upload.key] = upload
        return True

    async def pending(self, key: str, now: int) -> PendingUpload | None:
        upload = self._pending.get(key)
        return upload if upload is not None and upload.expires_at > now else None

    async def finish(
        self, upload: PendingUpload, avatar: Avatar | None
    ) -> tuple[bool, Avatar | None]:
        with self._lock:
            if self._pending.pop(upload.key, None) is None:
                return False, None
            profile = self._profiles.get(upload.player) or Profile(upload.player)
            if avatar is not None:
                self._profiles[upload.player] = replace(profile, avatar=avatar)
        return True, profile.avatar


class InMemoryPushSubscriptionStore:
    """PushSubscriptionStore of one process (each player's, oldest first)."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, dict[str, PushSubscription]] = {}

    async def add(self, subscription: PushSubscription, keep: int) -> None:
        mine = self._subscriptions.setdefault(subscription.player, {})
        mine.pop(subscription.endpoint, None)
        mine[subscription.endpoint] = subscription
        while len(mine) > keep:
            del mine[next(iter(mine))]

    async def of(self, player: str) -> list[PushSubscription]:
        return list(self._subscriptions.get(player, {}).values())

    async def remove(self, player: str, endpoint: str) -> None:
        self._subscriptions.get(player, {}).pop(endpoint, None)


@dataclass(frozen=True, slots=True)
class HeldObject:
    data: bytes
    content_type: str


class InMemoryAvatarStorage:
    """AvatarStorage of one process. Its upload form is an S3-style POST policy (base64
    JSON of an expiry and conditions) signed with this process's key; ``accept`` takes a
    form's POST (the local server's ``/avatar-uploads``) and holds it to that policy, as
    S3 does."""

    def __init__(self, url: str = UPLOAD_PATH) -> None:
        self._url = url
        self._key = secrets.token_bytes(32)
        self._objects: dict[str, HeldObject] = {}

    async def upload_form(self, policy: UploadPolicy) -> UploadForm:
        document = {
            "expiration": _iso(policy.expires_at),
            "conditions": [
                {"key": policy.key},
                {"Content-Type": policy.content_type},
                ["content-length-range", 1, policy.max_bytes],
            ],
        }
        encoded = base64.b64encode(json.dumps(document).encode()).decode()
        fields = {
            "key": policy.key,
            "Content-Type": policy.content_type,
            "policy": encoded,
            "x-portside-signature": self._sign(encoded),
        }
        return UploadForm(self._url, fields, policy)

    def accept(self, fields: Mapping[str, str], data: bytes, now: datetime) -> str:
        """Store a form's file if the form is one of ours and the file within its policy;
        the key. UploadRefusedError otherwise (nothing stored)."""
        encoded = fields.get("policy", "")
        signature = fields.get("x-portside-signature", "").encode("utf-8", "replace")
        if not hmac.compare_digest(self._sign(encoded).encode(), signature):
            raise UploadRefusedError("The form's policy is not one this server signed.")
        document = json.loads(base64.b64decode(encoded))  # ours: signed by this process
        if _iso(now) >= document["expiration"]:
            raise UploadRefusedError("The form has expired.")
        covered = {"policy", "x-portside-signature"}
        for condition in document["conditions"]:
            if isinstance(condition, dict):
                ((name, wanted),) = condition.items()
                covered.add(name)
                if fields.get(name) != wanted:
                    raise UploadRefusedError(f"The field {name!r} must be {wanted!r}.")
            else:
                _, least, most = condition
                if not least <= len(data) <= most:
                    raise UploadRefusedError(f"The file must be {least} to {most} bytes.")
        extra = sorted(set(fields) - covered)
        if extra:  # as S3 answers: "Extra input fields"
            raise UploadRefusedError(f"Fields the policy does not allow: {', '.join(extra)}.")
        key = fields["key"]
        self._objects[key] = HeldObject(data, fields["Content-Type"])
        return key

    def public(self, key: str) -> HeldObject | None:
        """A public picture (the local server serves them); never an upload."""
        return self._objects.get(key) if key.startswith(AVATAR_PREFIX) else None

    def stored(self) -> list[str]:
        """Every key held (what an operator would list in a bucket)."""
        return sorted(self._objects)

    async def read(self, key: str, max_bytes: int) -> StoredObject | None:
        held = self._objects.get(key)
        if held is None:
            return None
        return StoredObject(held.data[: max_bytes + 1], held.content_type, len(held.data))

    async def publish(self, key: str, picture: Picture) -> None:
        self._objects[key] = HeldObject(picture.data, picture.content_type)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._objects.pop(key, None)

    def _sign(self, encoded: str) -> str:
        return hmac.new(self._key, encoded.encode(), hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class InMemoryImageModerator:
    """ImageModerator that rejects the images whose uploaded bytes have one of the given
    SHA-256 digests (``MODERATION_REJECTED_DIGESTS``), and accepts every other."""

    def __init__(self, rejected: Sequence[str] = ()) -> None:
        self._rejected = {d.lower() for d in rejected}

    async def moderate(self, picture: Picture) -> Verdict:
        if picture.source_digest in self._rejected:
            return Verdict(False, "rejected by moderation")
        return Verdict(True)
