"""Wire models of the profile, avatar and push routes."""

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from domain.leaderboards.model import Page, RankedEntry
from domain.trivia.profiles import (
    AVATAR_TYPES,
    DISPLAY_NAME_MAX,
    PUSH_ENDPOINT_MAX,
    Avatar,
    PlayerProfile,
    UploadForm,
)
from entrypoints.http.models.shared import (
    EntryBody,
    RequestModel,
    ResponseModel,
    entry_body,
    iso_millis,
    page_fields,
)

#: An avatar key made into an absolute URL for this request.
Urls = Callable[[str], str]
ContentType = Literal["image/png", "image/jpeg", "image/webp"]
assert set(ContentType.__args__) == set(AVATAR_TYPES)  # type: ignore[attr-defined]


class ProfileBody(ResponseModel):
    username: str
    display_name: str = Field(description="The name shown; the username until one is set.")
    avatar_url: str | None = Field(description="The picture, at most 512 px a side.")
    thumbnail_url: str | None = Field(description="A 128 px square of it.")
    level: int = Field(ge=0)
    wins: int = Field(ge=0)

    @classmethod
    def of(cls, player: PlayerProfile, urls: Urls) -> "ProfileBody":
        profile, avatar = player.profile, player.profile.avatar
        return cls(
            username=profile.username,
            display_name=profile.display_name or profile.username,
            avatar_url=None if avatar is None else urls(avatar.image_key),
            thumbnail_url=None if avatar is None else urls(avatar.thumbnail_key),
            level=player.progress.level,
            wins=player.progress.wins,
        )


class ProfileInput(RequestModel):
    display_name: Annotated[str, Field(min_length=1, max_length=DISPLAY_NAME_MAX)] = Field(
        description=f"1 to {DISPLAY_NAME_MAX} characters of plain text (no control or format "
        "characters; surrounding spaces are removed)."
    )


class AvatarInput(RequestModel):
    content_type: ContentType = Field(description="The type of the file you will send.")


class UploadFormBody(ResponseModel):
    """POST ``multipart/form-data`` to ``url``: every one of ``fields``, then the file as
    ``file`` (last), of ``contentType``, at most ``maxBytes``, before ``expiresAt``. You are
    told the result on your live connection and by Web Push."""

    url: str
    fields: dict[str, str]
    key: str
    content_type: str
    max_bytes: int
    expires_at: str = Field(description="ISO 8601, UTC, milliseconds")

    @classmethod
    def of(cls, form: UploadForm, resolve: Callable[[str], str]) -> "UploadFormBody":
        policy = form.policy
        return cls(
            url=resolve(form.url),
            fields=dict(form.fields),
            key=policy.key,
            content_type=policy.content_type,
            max_bytes=policy.max_bytes,
            expires_at=iso_millis(policy.expires_at),
        )


#: base64url, padded or not, as browsers give the keys
BASE64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class PushKeysInput(RequestModel):
    # named as the browser names it (camelCase would make it "p256Dh")
    p256dh: Annotated[
        str, Field(min_length=87, max_length=88, pattern=BASE64URL, alias="p256dh")
    ] = Field(description="The browser's P-256 public key (65 bytes).")
    auth: Annotated[str, Field(min_length=22, max_length=24, pattern=BASE64URL)] = Field(
        description="The authentication secret (16 bytes)."
    )


class PushSubscriptionInput(RequestModel):
    """What the browser's ``PushSubscription.toJSON()`` gives."""

    endpoint: Annotated[
        str, Field(min_length=12, max_length=PUSH_ENDPOINT_MAX, pattern=r"^https?://[!-~]+$")
    ] = Field(description="The push service's URL: https on a public host name.")
    keys: PushKeysInput


class VapidKeyBody(ResponseModel):
    public_key: str = Field(
        description="The application server key for pushManager.subscribe, base64url."
    )


class PlayerEntryBody(EntryBody):
    thumbnail_url: str | None = Field(description="The player's avatar thumbnail, if any.")


class PlayersPageBody(ResponseModel):
    """A trivia board's page; each entry with its player's thumbnail, read now."""

    board: str
    entries: list[PlayerEntryBody]
    me: PlayerEntryBody | None
    total: int = Field(ge=0)

    @classmethod
    def of(cls, page: Page, avatars: Mapping[str, Avatar], urls: Urls) -> "PlayersPageBody":
        def entry(ranked: RankedEntry) -> dict[str, Any]:
            avatar = avatars.get(ranked.entry.member)
            thumbnail = None if avatar is None else urls(avatar.thumbnail_key)
            return {**entry_body(ranked), "thumbnail_url": thumbnail}

        return cls(**page_fields(page, entry))
