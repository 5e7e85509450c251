"""A real loopback HTTP server speaking the payment provider contract, with switchable faults.

``POST /charges`` (``Idempotency-Key`` header; ``{"orderId", "amount", "currency"}``) -> 201
``{"chargeId", "status": "succeeded"}``; ``POST /refunds`` (``{"chargeId", "amount"}``) -> 201
``{"refundId"}``. The same key replays the first answer, as Stripe does. Faults, for all
calls or the next n (``fail_next``): ``decline`` (402 on charges), ``error`` (500), ``slow``
(answers after ``delay`` seconds), ``lost`` (does the work, then answers 500: an outcome the
caller never learns).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.services import LoopbackServer

FAULTS = ("decline", "error", "slow", "lost")


class FakePaymentProvider(LoopbackServer):
    def __init__(self) -> None:
        self.fault: str | None = None
        self.delay = 0.0
        self._scheduled: list[str] = []
        self.charges: dict[str, dict[str, Any]] = {}  # idempotency key -> charge
        self.refunds: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    def fail_next(self, count: int, fault: str) -> None:
        assert fault in FAULTS, fault
        with self._lock:
            self._scheduled.extend([fault] * count)

    @property
    def net_charged(self) -> Decimal:
        with self._lock:
            taken = sum((Decimal(c["amount"]) for c in self.charges.values()), Decimal(0))
            given = sum((Decimal(r["amount"]) for r in self.refunds.values()), Decimal(0))
        return taken - given

    def _answer(self, path: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls += 1
            fault = self._scheduled.pop(0) if self._scheduled else self.fault
        if fault == "slow" or self.delay:
            time.sleep(self.delay)
        if fault == "error":
            return 500, {"error": "internal"}
        with self._lock:
            if path == "/charges":
                if key not in self.charges:
                    if fault == "decline":
                        return 402, {"error": "card_declined"}
                    self.charges[key] = {"chargeId": f"ch_{uuid.uuid4().hex[:16]}", **body}
                answer = {"chargeId": self.charges[key]["chargeId"], "status": "succeeded"}
            elif path == "/refunds":
                if key not in self.refunds:
                    self.refunds[key] = {"refundId": f"re_{uuid.uuid4().hex[:16]}", **body}
                answer = {"refundId": self.refunds[key]["refundId"]}
            else:
                return 404, {"error": "not_found"}
        if fault == "lost":
            return 500, {"error": "internal"}
        return 201, answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                status, answer = fake._answer(self.path, key, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
