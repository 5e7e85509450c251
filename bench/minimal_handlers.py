"""Cold-start baselines for native handlers: the smallest Kinesis and SNS handlers that decode
their records as ours do (base64 JSON; the SNS message's JSON) and answer."""

from __future__ import annotations

import base64
import json
from typing import Any


def stream_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        json.loads(base64.b64decode(record["kinesis"]["data"]))
    return {"batchItemFailures": []}


def sns_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    handled = 0
    for record in event["Records"]:
        json.loads(record["Sns"]["Message"])
        handled += 1
    return {"handled": handled}
