"""Profiles and avatars on ``portside serve`` (the embedded default, nothing else running), as
a player with a development token uses them: a photo uploaded through the form the server
answers, moderated and shrunk, on the profile and beside the player's name on a quiz
leaderboard, told on the open live connection and by Web Push (a loopback push service that
decrypts it); a rejected image never appears anywhere; nothing beyond the limits is stored."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from websockets.asyncio.client import ClientConnection

from adapters.jwt.trivia import DevIdentityProvider
from domain.trivia.profiles import AVATAR_MAX_BYTES, digest
from entrypoints.live_players import open_socket
from tests.support.images import photo
from tests.support.push_service import LoopbackPushService
from tests.support.services import DEV_KEY_FILE, base_env, start_portside

pytestmark = pytest.mark.anyio
IDENTITY = DevIdentityProvider(DEV_KEY_FILE)
REJECTED = photo(seed=5)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    env = base_env(MODERATION_REJECTED_DIGESTS=digest(REJECTED))
    process, url = start_portside(env)
    yield url
    process.stop_gracefully()


async def avatar_frame(socket: ClientConnection) -> dict[str, Any]:
    """The next ``avatar`` frame on the connection (others, such as the chat's history,
    are skipped)."""
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), 20))
        if frame["type"] == "avatar":
            return frame  # type: ignore[no-any-return]


async def send_through(form: dict[str, Any], data: bytes, kind: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as browser:  # the form needs no token
        files = {"file": ("me", data, kind)}
        return await browser.post(form["url"], data=form["fields"], files=files)


async def test_a_player_uploads_a_photo_and_finds_it_everywhere(server: str) -> None:
    token = IDENTITY.issue("ann lee")
    headers = {"Authorization": f"Bearer {token}"}
    with LoopbackPushService() as push:
        async with httpx.AsyncClient(base_url=server, headers=headers, timeout=10) as http:
            socket = await open_socket(http, "ws" + server.removeprefix("http"), token)
            key = (await http.get("/push/vapid-public-key")).json()["publicKey"]
            browser = push.subscribe()
            subscribed = await http.post("/players/me/push-subscriptions", json=browser)
            assert subscribed.status_code == 201, subscribed.text
            renamed = await http.put("/players/me", json={"displayName": "Ann ✓"})
            assert renamed.json()["displayName"] == "Ann ✓"

            asked = await http.post("/players/me/avatar", json={"contentType": "image/jpeg"})
            assert asked.status_code == 201, asked.text
            form = asked.json()
            assert form["url"] == f"{server}/avatar-uploads"
            assert (await send_through(form, photo(1600, 1200), "image/jpeg")).status_code == 204
            told = await avatar_frame(socket)
            assert (told["status"], told["upload"]) == ("accepted", form["key"])
            # Web Push delivered the same message, signed with the key the server serves.
            assert push.messages(browser) == [
                json.dumps(told, ensure_ascii=False, separators=(",", ":"))
            ]
            assert push.vapid_keys == {key}

            me = (await http.get("/players/me")).json()
            # The notification's URLs are relative to the server here (it knows no host name).
            assert me["thumbnailUrl"] == server + told["thumbnailUrl"]
            seen = await http.get(f"/players/{'ann lee'}")
            assert seen.json()["avatarUrl"] == server + told["avatarUrl"]
            picture = await http.get(me["thumbnailUrl"])
            assert picture.headers["content-type"] == "image/webp"
            assert picture.headers["x-content-type-options"] == "nosniff"
            assert Image.open(io.BytesIO(picture.content)).size == (128, 128)
            large = Image.open(io.BytesIO((await http.get(me["avatarUrl"])).content))
            assert max(large.size) == 512
            assert not large.getexif()  # the photo's GPS position did not survive

            # Beside the name on a quiz leaderboard, read now.
            responses = [{"questionNumber": n, "answer": 0} for n in (1, 2, 3)]
            played = await http.post("/games/demo-1/answers", json={"responses": responses})
            assert played.status_code == 200, played.text
            entry = await board_entry(http, "ann lee")
            assert entry["thumbnailUrl"] == me["thumbnailUrl"]

            # A rejected image: told so, and it never appears anywhere.
            again = await http.post("/players/me/avatar", json={"contentType": "image/jpeg"})
            assert (await send_through(again.json(), REJECTED, "image/jpeg")).status_code == 204
            rejected = await avatar_frame(socket)
            assert (rejected["status"], rejected["reason"]) == (
                "rejected",
                "rejected by moderation",
            )
            assert "avatarUrl" not in rejected
            assert (await http.get("/players/me")).json()["avatarUrl"] == me["avatarUrl"]
            upload_id = again.json()["key"].rsplit("/", 1)[1]
            for name in (f"{upload_id}.jpg", f"{upload_id}-128.webp"):
                assert (await http.get(f"/avatars/ann%20lee/{name}")).status_code == 404
            assert len(push.messages(browser, count=2)) == 2
            await socket.close()


async def board_entry(http: httpx.AsyncClient, player: str) -> dict[str, Any]:
    """The player's entry on demo-1's board, once the play's event reached it (bounded)."""
    for _ in range(50):
        board = (await http.get("/games/demo-1/leaderboard")).json()
        if board["me"] is not None:
            assert board["me"]["member"] == player
            return board["me"]  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError("the play never reached the board")


async def test_nothing_beyond_the_limits_is_stored(server: str) -> None:
    headers = {"Authorization": f"Bearer {IDENTITY.issue('bob')}"}
    async with httpx.AsyncClient(base_url=server, headers=headers, timeout=10) as http:
        forms = []
        for _ in range(3):
            asked = await http.post("/players/me/avatar", json={"contentType": "image/png"})
            assert asked.status_code == 201
            forms.append(asked.json())
        fourth = await http.post("/players/me/avatar", json={"contentType": "image/png"})
        assert (fourth.status_code, fourth.json()["type"]) == (409, "/problems/too-many-uploads")
        big = photo(kind="PNG") + bytes(AVATAR_MAX_BYTES)
        too_big = await send_through(forms[0], big, "image/png")
        assert too_big.status_code in (403, 413)
        wrong = await send_through(
            {**forms[1], "fields": {**forms[1]["fields"], "Content-Type": "text/html"}},
            b"<script>alert(1)</script>", "text/html",
        )  # fmt: skip
        assert wrong.status_code == 403
        assert wrong.json()["type"] == "/problems/upload-refused"
        forged = {**forms[2]["fields"], "key": "avatars/bob/evil.png"}
        assert (
            await send_through({**forms[2], "fields": forged}, b"x", "image/png")
        ).status_code == 403
        assert (await http.post("/avatar-uploads", content=b"junk")).status_code == 415
        broken = await http.post(
            "/avatar-uploads", content=b"--x\r\njunk",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )  # fmt: skip
        assert broken.status_code == 400  # as S3's MalformedPOSTRequest
        for fields in (
            {**forms[1]["fields"], "x-portside-signature": "é"},  # not even ASCII
            {**forms[1]["fields"], "acl": "public-read"},  # a field the policy does not allow
        ):
            odd = await send_through({**forms[1], "fields": fields}, photo(kind="PNG"), "image/png")
            assert odd.status_code == 403, odd.text
        assert (await http.get("/avatars/bob/evil.png")).status_code == 404
        assert (await http.get("/players/me")).json()["avatarUrl"] is None
        me = await http.get("/players/me", headers={"Authorization": "Bearer nope"})
        assert me.status_code == 401
