"""WebPushSender over HTTP: messages encrypted for the subscription with ``aes128gcm``
(RFC 8188 and RFC 8291, by ``pywebpush``, which wraps ``http_ece``) and signed with the
server's VAPID key (RFC 8292, ``py_vapid``), posted with this project's HTTP client: its
timeouts, and no redirects followed (a push service answers, it never redirects; following
one could aim the server at an internal address).

Answers: 201 (or any 2xx) delivered; 404 and 410 the subscription is gone (the caller forgets
it), and so is one whose key is no P-256 point (it can never be encrypted for); anything
else (429, 5xx, a redirect, a timeout) PushUnavailableError, that one message lost for that
one subscription (a notification is worth less than a retry storm).
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from domain.trivia.errors import PushUnavailableError
from domain.trivia.profiles import PushSubscription

if TYPE_CHECKING:
    from pathlib import Path

#: How long a push service keeps a message for a browser that is offline.
TTL_SECONDS = 24 * 3600
#: VAPID tokens may live 24 h (RFC 8292); 12 h leaves room for clock skew.
TOKEN_SECONDS = 12 * 3600
#: One message's whole exchange with a push service.
SEND_SECONDS = 5.0


def vapid_key(private_key: str | None, key_file: Path) -> ec.EllipticCurvePrivateKey:
    """The VAPID key: ``VAPID_PRIVATE_KEY`` (PEM, or the 32-byte private number in
    base64url as web-push tools print it), else the key in ``key_file``, made on first use
    (0600, like the development signing key)."""
    from adapters.keyfiles import private_key_file

    if private_key:
        text = private_key.strip()
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError("VAPID_PRIVATE_KEY is not an EC (P-256) private key")
            return key
        number = int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")
        return ec.derive_private_key(number, ec.SECP256R1())
    return private_key_file(
        key_file, lambda: ec.generate_private_key(ec.SECP256R1()), ec.EllipticCurvePrivateKey
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VapidWebPushSender:
    """WebPushSender (see the module docstring)."""

    def __init__(
        self, client: httpx.AsyncClient, key: ec.EllipticCurvePrivateKey, subject: str
    ) -> None:
        self._client = client
        self._key = key
        self._subject = subject
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self._public = _b64url(point)

    def public_key(self) -> str:
        return self._public

    async def send(self, subscription: PushSubscription, message: str) -> bool:
        # Imported here: pywebpush brings requests and aiohttp, which only a push needs.
        from py_vapid import Vapid02
        from pywebpush import WebPusher, WebPushException

        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            body = WebPusher(info).encode(message.encode(), "aes128gcm")["body"]
        except (ValueError, WebPushException):
            return False  # keys of the right size that are no P-256 point: never usable

        url = urlsplit(subscription.endpoint)
        port = "" if url.port in (None, 443 if url.scheme == "https" else 80) else f":{url.port}"
        claims = {
            "aud": f"{url.scheme}://{url.hostname}{port}",  # the origin (RFC 8292 section 2)
            "exp": int(time.time()) + TOKEN_SECONDS,
            "sub": self._subject,
        }
        headers = dict(Vapid02(self._key).sign(claims))
        headers.update({
            "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
        })  # fmt: skip
        try:
            # Bounded as a whole (a trickling answer holds nothing longer), and no answer's
            # body is ever read: only its status matters.
            async with asyncio.timeout(SEND_SECONDS):
                async with self._client.stream(
                    "POST", subscription.endpoint, content=body, headers=headers,
                    follow_redirects=False,
                ) as response:  # fmt: skip
                    status = response.status_code
        except (httpx.HTTPError, TimeoutError) as exc:
            raise PushUnavailableError(f"The push service is unreachable ({exc!r}).") from exc
        if 200 <= status < 300:
            return True
        if status in (404, 410):
            return False
        raise PushUnavailableError(f"The push service answered {status}.")
