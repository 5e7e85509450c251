"""A real loopback server speaking Amazon Rekognition's ``DetectModerationLabels`` JSON
contract (AWS JSON 1.1: ``POST /`` with ``X-Amz-Target:
RekognitionService.DetectModerationLabels``, ``{"Image": {"Bytes": <base64>},
"MinConfidence": n}`` -> ``{"ModerationLabels": [{"Confidence", "Name", "ParentName",
"TaxonomyLevel"}], "ModerationModelVersion"}``), as documented. Labels are given per image
(by the SHA-256 of its bytes); ``fault`` answers every call with an error of that name
(``InvalidImageFormatException``: 400; ``ThrottlingException``, ``InternalServerError``:
500)."""

from __future__ import annotations

import base64
import hashlib
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.services import LoopbackServer

TARGET = "RekognitionService.DetectModerationLabels"


class FakeRekognition(LoopbackServer):
    def __init__(self) -> None:
        self.labels: dict[str, list[dict[str, Any]]] = {}
        self.fault: str | None = None
        self.requests: list[dict[str, Any]] = []
        super().__init__(self._handler())

    def label(self, image: bytes, *labels: tuple[str, str, float]) -> None:
        """Answer for ``image`` with labels (name, parent name, confidence)."""
        self.labels[hashlib.sha256(image).hexdigest()] = [
            {"Confidence": c, "Name": n, "ParentName": p, "TaxonomyLevel": 2 if p else 1}
            for n, p, c in labels
        ]

    def _answer(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if target != TARGET:
            return 400, {"__type": "UnknownOperationException", "message": target}
        self.requests.append(body)
        if self.fault is not None:
            status = 400 if self.fault == "InvalidImageFormatException" else 500
            return status, {"__type": self.fault, "message": "as asked"}
        image = base64.b64decode(body["Image"]["Bytes"])
        minimum = float(body.get("MinConfidence", 50))
        found = [
            label for label in self.labels.get(hashlib.sha256(image).hexdigest(), [])
            if label["Confidence"] >= minimum
        ]  # fmt: skip
        return 200, {"ModerationLabels": found, "ModerationModelVersion": "7.0"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = fake._answer(self.headers.get("X-Amz-Target", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                pass

        return Handler
