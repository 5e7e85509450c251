"""Lambda handler for every HTTP route (API Gateway REST v1, HTTP API v2, function URLs).

Module scope composes once per execution environment, so warm invocations reuse clients.
"""

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app, freeze_startup_heap

handler = Mangum(
    create_app(bootstrap()),
    # Lambda has no shutdown hook, and startup work here runs at import instead.
    lifespan="off",
    # Error bodies are text too; without this Mangum would base64-encode them, and a REST API
    # without binary media types would hand clients the base64 string.
    text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"],
)
freeze_startup_heap()
