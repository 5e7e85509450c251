"""Reading request bodies the routes parse themselves (so numbers can stay Decimal, and the
domain validates the shape)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from domain.shared.errors import FieldError, InvalidInputError


async def json_body(request: Request, **decode: Any) -> Any:
    """The body as JSON (``decode``: ``json.loads`` options such as ``parse_float``);
    InvalidInputError (422, field ``body``) when it is not JSON."""
    try:
        return json.loads(await request.body(), **decode)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            "The body must be JSON.", (FieldError("body", "not valid JSON"),)
        ) from exc
