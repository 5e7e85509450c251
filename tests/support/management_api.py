"""A real loopback server speaking API Gateway's Management API contract: ``POST
/@connections/{connectionId}`` with the frame as the body; 410 Gone for a gone connection."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.services import LoopbackServer


class ManagementApi(LoopbackServer):
    """The Management API: frames posted per connection; ``gone`` ones answer 410."""

    def __init__(self) -> None:
        self.frames: dict[str, list[dict[str, Any]]] = {}
        self.gone: set[str] = set()
        self.gone_posts: list[str] = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                connection = self.path.removeprefix("/@connections/")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if connection in api.gone:
                    api.gone_posts.append(connection)
                    self.send_response(410)
                    payload = b'{"message": "Gone"}'
                else:
                    with api._lock:
                        api.frames.setdefault(connection, []).append(json.loads(body))
                    self.send_response(200)
                    payload = b""
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                return

        super().__init__(Handler)
