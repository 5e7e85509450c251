"""Player profiles and their avatars: a display name, and a picture uploaded straight to
the object store, checked, moderated and shrunk before anyone sees it.

An upload is asked for first (``request_upload``): the player gets a form for one object
under ``uploads/<username>/<random>`` that allows one content type, at most 2 MB and
5 minutes, and a pending entry records it (at most 3 at once). The object store's event
then runs ``process_upload``: the pending entry is the idempotency record, consumed once
per key, so a repeated or late event (or a second object sent with the same form) changes
nothing and leaves nothing behind. Limits are re-checked on the stored object, since an
object store that does not enforce the form's policy (moto, a misconfigured bucket) must not
let anything through.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from urllib.parse import quote, urlsplit

from domain.shared.errors import FieldError
from domain.shared.time import to_millis
from domain.trivia.errors import (
    InvalidProfileError,
    InvalidPushSubscriptionError,
    TooManyUploadsError,
)
from domain.trivia.progress import Progress

DISPLAY_NAME_MAX = 40
#: What an avatar may be uploaded as; every one is re-encoded from its pixels.
AVATAR_TYPES = ("image/png", "image/jpeg", "image/webp")
AVATAR_MAX_BYTES = 2 * 1024 * 1024
#: Larger images are refused before their pixels are decoded (decompression bombs).
AVATAR_MAX_SIDE = 4096
#: The stored avatar's longest side: a profile picture needs no more.
AVATAR_SIDE = 512
THUMBNAIL_SIDE = 128
UPLOAD_VALIDITY = timedelta(minutes=5)
#: A pending upload is forgotten after this, whether or not it was used.
PENDING_KEPT = timedelta(minutes=15)
PENDING_UPLOADS = 3
UPLOAD_PREFIX = "uploads/"
AVATAR_PREFIX = "avatars/"
#: Web Push subscriptions kept per player (one per browser); the oldest goes first.
PUSH_SUBSCRIPTIONS = 10
PUSH_ENDPOINT_MAX = 1024


@dataclass(frozen=True, slots=True)
class Avatar:
    """Where a player's accepted picture is: object keys, made into URLs at the edge."""

    image_key: str
    thumbnail_key: str


@dataclass(frozen=True, slots=True)
class Profile:
    username: str
    display_name: str | None = None
    avatar: Avatar | None = None


@dataclass(frozen=True, slots=True)
class PlayerProfile:
    """What anyone signed in sees of a player."""

    profile: Profile
    progress: Progress


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    """What the form allows: one object at ``key``, of ``content_type``, at most
    ``max_bytes``, sent before ``expires_at``."""

    key: str
    content_type: str
    max_bytes: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class UploadForm:
    """An HTML form POST (``multipart/form-data``): ``fields`` first, then the ``file``."""

    url: str
    fields: Mapping[str, str]
    policy: UploadPolicy


@dataclass(frozen=True, slots=True)
class PendingUpload:
    key: str
    player: str
    content_type: str
    expires_at: int  # epoch ms: when the entry is forgotten


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object as the store holds it: its bytes (read at most ``max_bytes + 1``), the
    type it was stored with and its full size."""

    data: bytes
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Picture:
    """An image re-encoded from its pixels (no metadata); ``source_digest`` is the SHA-256
    of the bytes it was decoded from."""

    content_type: str
    data: bytes
    width: int
    height: int
    source_digest: str


@dataclass(frozen=True, slots=True)
class Rendition:
    """What an accepted upload becomes: the avatar (at most ``AVATAR_SIDE`` a side) and its
    square thumbnail."""

    image: Picture
    thumbnail: Picture


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    #: Why not (the moderation labels found), for the player.
    reason: str | None = None


class Outcome(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class AvatarResult:
    """What became of one upload: told to its player."""

    key: str
    player: str
    outcome: Outcome
    reason: str | None = None
    avatar: Avatar | None = None

    def message(self, urls: AvatarUrls) -> str:
        """The notification (a JSON object, also the live connection's frame)."""
        body: dict[str, object] = {
            "type": "avatar",
            "status": self.outcome.value,
            "upload": self.key,
        }
        if self.reason is not None:
            body["reason"] = self.reason
        if self.avatar is not None:
            body["avatarUrl"] = urls.url(self.avatar.image_key)
            body["thumbnailUrl"] = urls.url(self.avatar.thumbnail_key)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class AvatarUrls:
    """Object keys made into URLs: ``base`` + key (a CDN, the bucket, or the local
    server's ``/avatars/``: a relative base is resolved against the request at the edge)."""

    base: str

    def url(self, key: str) -> str:
        return self.base + quote(key)  # keys hold usernames, which hold any character


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """A browser's Web Push subscription (W3C Push API): where to post, and the keys to
    encrypt for (base64url, as the browser gives them)."""

    player: str
    endpoint: str
    p256dh: str
    auth: str


#: Control, format (bidi overrides), surrogate, private-use and unassigned characters, and
#: the line and paragraph separators.
_NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def checked_display_name(raw: str) -> str:
    """1 to 40 characters of plain text: no control or format characters (bidi overrides),
    surrounding whitespace removed."""
    name = unicodedata.normalize("NFC", raw.strip())
    problem = None
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        problem = f"must be 1 to {DISPLAY_NAME_MAX} characters"
    elif any(unicodedata.category(c) in _NOT_TEXT for c in name):
        problem = "must be plain text (no control or format characters)"
    if problem:
        raise InvalidProfileError(f"displayName {problem}.", (FieldError("displayName", problem),))
    return name


def checked_username(username: str) -> str:
    """A profile's username: ``me`` names the caller in paths, so it is nobody's."""
    if username == "me":
        raise InvalidProfileError(
            "'me' is not a username.", (FieldError("username", "'me' is reserved"),)
        )
    return username


def upload_owner_prefix(player: str) -> str:
    """``uploads/<username>/``: the key names its player (the pending entry is what is
    trusted, never the key)."""
    return f"{UPLOAD_PREFIX}{player}/"


def avatar_keys(player: str, upload_key: str, image_type: str, thumbnail_type: str) -> Avatar:
    """The public keys of an accepted upload: derived from its key, so processing it again
    writes the same objects."""
    upload_id = upload_key.rsplit("/", 1)[-1]
    base = f"{AVATAR_PREFIX}{player}/{upload_id}"
    return Avatar(
        f"{base}.{_extension(image_type)}", f"{base}-{THUMBNAIL_SIDE}.{_extension(thumbnail_type)}"
    )


def _extension(content_type: str) -> str:
    return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}[content_type]


def new_upload(player: str, content_type: str, now: datetime) -> tuple[UploadPolicy, PendingUpload]:
    if content_type not in AVATAR_TYPES:
        raise InvalidProfileError(
            f"contentType must be one of {', '.join(AVATAR_TYPES)}.",
            (FieldError("contentType", "not an accepted image type"),),
        )
    key = upload_owner_prefix(player) + secrets.token_urlsafe(16)
    policy = UploadPolicy(key, content_type, AVATAR_MAX_BYTES, now + UPLOAD_VALIDITY)
    pending = PendingUpload(key, player, content_type, to_millis(now + PENDING_KEPT))
    return policy, pending


def refusal(pending: PendingUpload, stored: StoredObject) -> str | None:
    """Why the stored object breaks the form's limits (None: within them)."""
    if stored.size > AVATAR_MAX_BYTES or len(stored.data) > AVATAR_MAX_BYTES:
        return f"larger than {AVATAR_MAX_BYTES // (1024 * 1024)} MB"
    if stored.content_type != pending.content_type:
        return f"stored as {stored.content_type!r}, not the {pending.content_type!r} asked for"
    return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked_subscription(
    player: str, endpoint: str, p256dh: str, auth: str, *, allow_loopback: bool
) -> PushSubscription:
    """A subscription the server may post to: an ``https`` URL on port 443 of a public host
    name (at least two labels, the last a top-level domain, outside the reserved local
    names; never an address literal), so it cannot be aimed at internal addresses; ``http``
    and loopback only where ``allow_loopback`` (the embedded default and tests). Keys of the
    sizes RFC 8291 gives (65 and 16 bytes)."""
    problems: list[FieldError] = []
    problem = _endpoint_problem(endpoint, allow_loopback)
    if problem:
        problems.append(FieldError("endpoint", problem))
    for name, value, size in (("keys.p256dh", p256dh, 65), ("keys.auth", auth, 16)):
        if _base64url_size(value) != size:
            problems.append(FieldError(name, f"must be {size} bytes in base64url"))
    if problems:
        raise InvalidPushSubscriptionError(
            "; ".join(f"{p.field} {p.message}" for p in problems), tuple(problems)
        )
    return PushSubscription(player, endpoint, p256dh, auth)


_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".localdomain")


#: A host name's labels: letters, digits and hyphens (IDNA names are ASCII: ``xn--``); the
#: last one (the top-level domain) starts with a letter, so no spelling of an IPv4 address
#: (``127.1``, ``0x7f.1``, ``0251.0376.0251.0376``) passes for a name.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TOP_LABEL = re.compile(r"[a-z][a-z0-9-]{0,61}[a-z0-9]|xn--[a-z0-9-]{1,59}")


def _endpoint_problem(endpoint: str, allow_loopback: bool) -> str | None:
    if len(endpoint) > PUSH_ENDPOINT_MAX:
        return f"must be at most {PUSH_ENDPOINT_MAX} characters"
    if not endpoint.isascii() or not endpoint.isprintable() or " " in endpoint:
        return "must be a URL of printable ASCII characters"  # push services give such URLs
    try:
        url = urlsplit(endpoint)
        port = url.port
    except ValueError:
        return "must be a URL"
    host = (url.hostname or "").lower()
    if url.username is not None or url.password is not None or not host:
        return "must be a URL with a host and no credentials"
    if allow_loopback and _loopback(host):
        return None if url.scheme in ("http", "https") else "must be an http(s) URL"
    if url.scheme != "https" or port not in (None, 443):
        return "must be an https URL on the default port"
    # Push services are named hosts: no address literal of any form is taken (so none of
    # the private, link-local, NAT64 or 6to4 spellings of an internal address either).
    labels = host.rstrip(".").split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or not _TOP_LABEL.fullmatch(labels[-1])
        or host.rstrip(".").endswith(_LOCAL_SUFFIXES)
    ):
        return "must be on a public host name"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base64url_size(value: str) -> int:
    if not value or len(value) > 128:
        return -1
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error):
        return -1


def too_many_uploads() -> TooManyUploadsError:
    return TooManyUploadsError(
        f"At most {PENDING_UPLOADS} uploads may be pending at once; wait for one to finish "
        f"(or {PENDING_KEPT.seconds // 60} minutes)."
    )
