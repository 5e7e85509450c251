"""A real loopback HTTP server speaking the Frankfurter rates contract, with switchable faults.

``GET /latest?base=EUR&symbols=USD,CAD`` answers ``{"base", "date", "rates"}``; rates are
written as the exact decimal text given (never through float). Faults: ``slow`` (answer
after ``delay`` seconds), ``error`` (HTTP 500), ``malformed`` (not JSON), ``missing`` (leave
out the first requested symbol), ``not_found`` (HTTP 404), ``wrong_base`` (answer for another
base currency). ``fail_next(n, fault)`` applies a
fault to the next n calls only.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.services import LoopbackServer

DEFAULT_RATES = {"USD": "1.31", "CAD": "1.41", "AUD": "1.51", "JPY": "163.41", "KWD": "0.3312"}
FAULTS = ("slow", "error", "malformed", "missing", "not_found", "wrong_base")


class FakeRatesServer(LoopbackServer):
    def __init__(self, rates: dict[str, str] | None = None, date: str = "2026-11-20") -> None:
        self.rates = dict(DEFAULT_RATES if rates is None else rates)
        self.date = date
        self.fault: str | None = None
        self.delay = 0.0
        self._scheduled: list[str] = []
        self._lock = threading.Lock()
        self.calls = 0
        super().__init__(self._handler())

    def fail_next(self, count: int, fault: str) -> None:
        assert fault in FAULTS, fault
        with self._lock:
            self._scheduled.extend([fault] * count)

    def _next_fault(self) -> str | None:
        with self._lock:
            self.calls += 1
            return self._scheduled.pop(0) if self._scheduled else self.fault

    def _answer(self, path: str) -> tuple[int, bytes]:
        fault = self._next_fault()
        if fault == "slow" or self.delay:
            time.sleep(self.delay)
        if fault == "error":
            return 500, b'{"message": "internal error"}'
        if fault == "not_found":
            return 404, b'{"message": "not found"}'
        if fault == "malformed":
            return 200, b'{"base": "EUR", "rates": {"USD": 1.'
        query = parse_qs(urlsplit(path).query)
        base = query.get("base", ["EUR"])[0]
        symbols = query.get("symbols", [""])[0].split(",")
        if fault == "missing":
            symbols = symbols[1:]
        if fault == "wrong_base":
            base = "USD" if base != "USD" else "EUR"
        pairs = ", ".join(f'"{s}": {self.rates[s]}' for s in symbols if s in self.rates)
        body = f'{{"amount": 1.0, "base": "{base}", "date": "{self.date}", "rates": {{{pairs}}}}}'
        return 200, body.encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if not self.path.startswith("/latest"):
                    status, body = 404, b"{}"
                else:
                    status, body = fake._answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

        return Handler
