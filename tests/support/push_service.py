"""A real loopback Web Push service: it hands out subscriptions as a browser's push manager
would (a P-256 key pair and an auth secret per subscription, kept here), and for each POST
checks the VAPID signature (RFC 8292: an ES256 JWT whose ``aud`` is this origin, ``exp``
within 24 h, with a ``sub``, signed by the ``k`` it names) and decrypts the body with the
subscription's private key (RFC 8291, ``aes128gcm``), so what it records is what a browser
would show. Subscriptions in ``gone`` answer 410, as for an expired one."""

from __future__ import annotations

import base64
import os
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.services import LoopbackServer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LoopbackPushService(LoopbackServer):
    def __init__(self) -> None:
        self._keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self.received: dict[str, list[str]] = {}
        self.refused: list[str] = []  # why a POST was not taken (a failed check)
        self.gone: set[str] = set()
        self.vapid_keys: set[str] = set()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        super().__init__(self._handler())

    def subscribe(self) -> dict[str, Any]:
        """A new subscription, as ``PushSubscription.toJSON()`` gives it."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        sub_id = _b64(os.urandom(9))
        self._keys[sub_id] = (key, auth)
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        endpoint = f"{self.url}/push/{sub_id}"
        return {"endpoint": endpoint, "keys": {"p256dh": _b64(point), "auth": _b64(auth)}}

    def messages(
        self, subscription: dict[str, Any], count: int = 1, timeout: float = 10
    ) -> list[str]:
        """The decrypted messages of a subscription, waiting (bounded) for ``count``."""
        sub_id = subscription["endpoint"].rsplit("/", 1)[1]
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received.get(sub_id, [])) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._arrived.wait(left)
            return list(self.received.get(sub_id, []))

    def _take(self, sub_id: str, headers: Any, body: bytes) -> int:
        if sub_id in self.gone or sub_id not in self._keys:
            return 410
        problem = self._vapid_problem(headers.get("Authorization", ""))
        if problem is None and headers.get("Content-Encoding") != "aes128gcm":
            problem = "not aes128gcm"
        if problem is None and not headers.get("TTL", "").isdigit():
            problem = "no TTL"
        if problem is not None:
            with self._lock:
                self.refused.append(problem)
            return 403
        key, auth = self._keys[sub_id]
        text = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        with self._arrived:
            self.received.setdefault(sub_id, []).append(text.decode())
            self._arrived.notify_all()
        return 201

    def _vapid_problem(self, authorization: str) -> str | None:
        scheme, _, params = authorization.partition(" ")
        if scheme != "vapid":
            return f"not a vapid Authorization: {authorization[:40]!r}"
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"]))
        try:
            claims = jwt.decode(
                fields["t"], public, algorithms=["ES256"], audience=self.url,
                options={"require": ["exp", "aud", "sub"]},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            return f"bad VAPID token: {exc}"
        if claims["exp"] > time.time() + 24 * 3600:
            return "VAPID token valid for more than 24 h"
        with self._lock:
            self.vapid_keys.add(fields["k"])
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                sub_id = self.path.rsplit("/", 1)[-1]
                status = service._take(sub_id, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        return Handler
