"""HTTP routes of the trivia profiles: profiles, avatar uploads, push subscriptions; and on a
process without a bucket (the local server) the upload form's target and the pictures.

Avatar URLs are the configured base plus the object key; a relative base (the local
server's ``/avatars/``) is resolved against the request, so clients get absolute URLs.
"""

# No ``from __future__ import annotations``: FastAPI must see the route-local ``Player``
# dependency type itself, not its name.
import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urljoin

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from domain.trivia.errors import AvatarStoreUnavailableError, UploadRefusedError
from domain.trivia.profiles import AVATAR_MAX_BYTES, AVATAR_PREFIX, PUSH_ENDPOINT_MAX, AvatarUrls
from entrypoints.http.edge import EdgeRoute, body_limit, read_body
from entrypoints.http.errors import problem, problems
from entrypoints.http.models.profiles import (
    AvatarInput,
    ProfileBody,
    ProfileInput,
    PushSubscriptionInput,
    UploadFormBody,
    VapidKeyBody,
)
from entrypoints.http.trivia import SMALL_BODY_BYTES, Username, player_dependency
from ports.trivia import TokenVerifier

if TYPE_CHECKING:
    from entrypoints.composition import Composition

log = logging.getLogger(__name__)
#: A form's fields are a few hundred bytes; the file at most 2 MB.
UPLOAD_BODY_BYTES = AVATAR_MAX_BYTES + 64 * 1024
UPLOAD_FIELD_BYTES = 8 * 1024
UPLOAD_MEDIA = "multipart/form-data"
#: The form ``POST /players/me/avatar`` answers, as the browser sends it (the file last).
FORM = {
    "type": "object",
    "required": ["key", "Content-Type", "policy", "x-portside-signature", "file"],
    "properties": {
        **{name: {"type": "string"} for name in ("key", "Content-Type", "policy")},
        "x-portside-signature": {"type": "string"},
        "file": {"type": "string", "format": "binary"},
    },
}


def absolute(request: Request, urls: AvatarUrls) -> Callable[[str], str]:
    """Avatar keys as absolute URLs for this request (a relative base, the local server's,
    resolved against it)."""
    base = str(request.base_url)
    return lambda key: urljoin(base, urls.url(key))


def profiles_router(
    composition: "Composition", tokens: TokenVerifier, *, sockets: bool
) -> APIRouter:
    """The profile routes, each for a verified bearer token's player (but the VAPID key's).
    ``sockets``: this process serves the uploads of the in-memory avatar store (without a
    bucket, a Lambda has nowhere to keep them: 503)."""
    router = APIRouter(tags=["profiles"], route_class=EdgeRoute, responses=problems(401, 503))
    Player = Annotated[str, Depends(player_dependency(tokens))]

    def urls(request: Request) -> Callable[[str], str]:
        return absolute(request, composition.profiles_context.urls)

    @router.get("/players/me", response_model=ProfileBody)
    async def my_profile(request: Request, me: Player) -> ProfileBody:
        return ProfileBody.of(await composition.profiles.profile(me), urls(request))

    @router.put(
        "/players/me",
        response_model=ProfileBody,
        responses=problems(422),
        openapi_extra=body_limit(SMALL_BODY_BYTES),
    )
    async def rename(request: Request, profile: ProfileInput, me: Player) -> ProfileBody:
        """Your display name (1 to 40 characters of plain text)."""
        renamed = await composition.profiles.rename(me, profile.display_name)
        return ProfileBody.of(renamed, urls(request))

    @router.get("/players/{username}", response_model=ProfileBody, responses=problems(422))
    async def profile(request: Request, username: Username, _: Player) -> ProfileBody:
        """Anyone's profile (``me`` is yours, never a username)."""
        return ProfileBody.of(await composition.profiles.profile(username), urls(request))

    @router.post(
        "/players/me/avatar",
        status_code=201,
        response_model=UploadFormBody,
        responses=problems(409),
        openapi_extra=body_limit(SMALL_BODY_BYTES),
    )
    async def avatar(request: Request, upload: AvatarInput, me: Player) -> UploadFormBody:
        """A form to upload a new avatar with (at most 3 pending: 409). It is checked,
        moderated and shrunk after the upload; the result comes on your live connection
        and by Web Push, and the profile shows it once accepted."""
        if composition.profiles_context.local is not None and not sockets:
            raise AvatarStoreUnavailableError("Avatars need AVATARS_BUCKET here.")
        form = await composition.profiles.request_upload(me, upload.content_type)
        # the store's URL (S3's, absolute) or the local server's path, made absolute here
        return UploadFormBody.of(form, lambda url: urljoin(str(request.base_url), url))

    @router.post(
        "/players/me/push-subscriptions",
        status_code=201,
        responses=problems(404, 422),
        openapi_extra=body_limit(SMALL_BODY_BYTES),
    )
    async def subscribe(subscription: PushSubscriptionInput, me: Player) -> None:
        """Your browser's Web Push subscription (``PushSubscription.toJSON()``): https on a
        public host (loopback only on the embedded default). 404 without Web Push here."""
        keys = subscription.keys
        await composition.notifier.subscribe(me, subscription.endpoint, keys.p256dh, keys.auth)

    @router.delete("/players/me/push-subscriptions", status_code=204)
    async def unsubscribe(
        me: Player,
        endpoint: Annotated[str, Query(min_length=1, max_length=PUSH_ENDPOINT_MAX)],
    ) -> None:
        """Forget a subscription of yours (nothing if it is not there)."""
        await composition.notifier.unsubscribe(me, endpoint)

    @router.get("/push/vapid-public-key", response_model=VapidKeyBody, responses=problems(404))
    async def vapid_public_key() -> VapidKeyBody:
        """The key to subscribe with (no token needed: it is public)."""
        return VapidKeyBody(public_key=composition.notifier.public_key())

    return router


def local_storage_router(composition: "Composition") -> APIRouter:
    """The object store's part on the embedded default: the forms' POST target (holding
    each to its policy, like S3) and the public pictures. Not edge routes: a form is not
    JSON (this route bounds and decodes its body itself) and S3 wants no token either."""
    storage = composition.profiles_context.local
    assert storage is not None
    router = APIRouter(tags=["profiles"])
    tasks: set[asyncio.Task[None]] = set()

    @router.post(
        "/avatar-uploads",
        status_code=204,
        responses=problems(400, 403, 408, 413, 415),
        openapi_extra={
            **body_limit(UPLOAD_BODY_BYTES),
            "requestBody": {"required": True, "content": {UPLOAD_MEDIA: {"schema": FORM}}},
        },
    )
    async def upload(request: Request) -> Response:
        """The target of ``POST /players/me/avatar``'s form (the embedded default's object
        store): the form's fields, then ``file``. Processed after the answer."""
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != UPLOAD_MEDIA:
            return problem(
                415, "upload-refused", "Upload refused", f"The form must be {UPLOAD_MEDIA}."
            )
        body = await read_body(request, UPLOAD_BODY_BYTES)
        fields, data = await _form(request, body)
        now = composition.clock.now()
        key = storage.accept(fields, data, now)
        task = asyncio.get_running_loop().create_task(_process(composition, key))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response(status_code=204)

    @router.get("/avatars/{key:path}", responses=problems(404))
    async def picture(key: Annotated[str, Path(max_length=512)]) -> Response:
        """A public picture (``nosniff``: it is only ever the type it was re-encoded as)."""
        held = storage.public(AVATAR_PREFIX + key)
        if held is None:
            return problem(404, "picture-not-found", "Picture not found", "No such picture.")
        return Response(held.data, media_type=held.content_type, headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": "default-src 'none'",
        })  # fmt: skip

    return router


async def _form(request: Request, body: bytes) -> tuple[dict[str, str], bytes]:
    async def chunks() -> AsyncGenerator[bytes, None]:
        yield body
        yield b""

    parser = MultiPartParser(
        request.headers, chunks(), max_files=1, max_fields=16,
        max_part_size=UPLOAD_FIELD_BYTES,
    )  # fmt: skip
    try:
        form = await parser.parse()
    except MultiPartException as exc:  # S3 answers 400 MalformedPOSTRequest
        raise HTTPException(400, f"Not a form: {exc.message}") from None
    fields: dict[str, str] = {}
    data: bytes | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name != "file":
                raise UploadRefusedError("The file must be the field 'file'.")
            data = await value.read()
        else:
            fields[name] = value
    await form.close()
    if data is None:  # as S3 answers: one file per POST
        raise HTTPException(400, "The form carries no file (the field 'file', last).")
    return fields, data


async def _process(composition: "Composition", key: str) -> None:
    try:
        await composition.avatars.process(key)
    except Exception:  # the upload stays pending; its entry expires (logged for the operator)
        log.exception("avatar upload %s was not processed", key)
