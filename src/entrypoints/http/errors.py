"""One error shape for every 4xx/5xx: RFC 9457 problem details as ``application/problem+json``.

``{"type", "title", "status", "detail", "requestId"}``, plus ``errors: [{"field",
"message"}]`` for 422. Never a stack trace or a vendor's error text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from domain.shared.correlation import correlation_id
from domain.shared.decoding import TooLargeError
from domain.shared.errors import (
    ConflictError,
    DomainError,
    FieldError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
    UnavailableError,
)
from entrypoints.http.edge import allowed_methods

log = logging.getLogger(__name__)


#: A problem document names at most this many fields, so a huge invalid body cannot make a
#: huge answer.
MAX_FIELD_ERRORS = 50
#: What each error status means, for the OpenAPI document (``problems``).
STATUS_DESCRIPTIONS = {
    400: "A malformed request (a form that is not multipart/form-data)",
    401: "Missing or invalid credentials (see WWW-Authenticate)",
    403: "The caller may not do this",
    404: "Unknown resource",
    408: "The body did not arrive within 30 seconds",
    409: "Conflicts with the resource's current state",
    413: "The body is larger than this operation's limit",
    415: "A body that is not JSON (Content-Type: application/json), or one where none is taken",
    422: "Invalid input; `errors` names each field",
    500: "Unexpected; logged with the request id",
    503: "A dependency is unavailable; retry after Retry-After seconds",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation's error statuses (their problem documents are
    described once, in ``entrypoints.http.openapi``)."""
    return {status: {"description": STATUS_DESCRIPTIONS[status]} for status in statuses}


_STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (TooLargeError, 413),
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (ConflictError, 409),
    (UnavailableError, 503),
)


class ProblemResponse(JSONResponse):
    """``application/problem+json``, ASCII-escaped: an error answer can always be rendered,
    whatever text it quotes."""

    media_type = "application/problem+json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode()


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details response; ``code`` becomes the ``type`` (``/problems/<code>``)."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "requestId": correlation_id.get(),  # the id the caller sees in X-Request-Id
        **extensions,
    }
    if errors:
        shown = errors[:MAX_FIELD_ERRORS]
        body["errors"] = [{"field": e.field, "message": e.message} for e in shown]
    return ProblemResponse(body, status, headers)


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    status = next((s for kind, s in _STATUS_BY_ERROR if isinstance(exc, kind)), 400)
    headers = None
    if isinstance(exc, UnavailableError):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
        log.warning("%s: %s", exc.code, exc.detail, exc_info=exc.__cause__ is not None)
    if isinstance(exc, UnauthenticatedError):
        headers = {"WWW-Authenticate": 'Bearer realm="portside"'}  # RFC 6750
    errors = exc.errors if isinstance(exc, InvalidInputError) else ()
    return problem(status, exc.code, exc.title, exc.detail, errors=errors, headers=headers)


def field_name(loc: Sequence[str | int]) -> str:
    """A validation error's location as the wire names it: ``items[0].quantity``."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = tuple(
        # The first part says where (body, query, path, header); a body is named "body".
        FieldError(field_name(e["loc"][1:]) or str(e["loc"][0]), e["msg"])
        for e in exc.errors()
    )
    shown = "; ".join(f"{e.field}: {e.message}" for e in errors[:MAX_FIELD_ERRORS])
    more = len(errors) - MAX_FIELD_ERRORS
    detail = shown + (f" (and {more} more)" if more > 0 else "")
    return problem(422, "invalid-input", "Invalid input", detail, errors=errors)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    code = phrase.lower().replace(" ", "-")
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return problem(exc.status_code, code, phrase, detail, headers=headers or None)


def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "internal-error", "Internal server error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
