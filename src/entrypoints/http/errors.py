"""One error shape for every 4xx/5xx: RFC 9457 problem details as ``application/problem+json``.

``{"type", "title", "status", "detail", "requestId"}``, plus ``errors: [{"field",
"message"}]`` for 422. Never a stack trace or a vendor's error text.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

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
from entrypoints.logs import request_id

log = logging.getLogger(__name__)


class Problem(BaseModel):
    """The error document (documented in OpenAPI; responses are built by ``problem``)."""

    type: str
    title: str
    status: int
    detail: str
    requestId: str | None


PROBLEM_RESPONSES: dict[int, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing or invalid credentials"},
    403: {"model": Problem, "description": "The caller may not do this"},
    404: {"model": Problem, "description": "Unknown resource"},
    409: {"model": Problem, "description": "Conflicts with the resource's current state"},
    422: {"model": Problem, "description": "Invalid input; `errors` names each field"},
    503: {"model": Problem, "description": "A dependency is unavailable (see Retry-After)"},
}

_STATUS_BY_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (ConflictError, 409),
    (UnavailableError, 503),
)


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
        "requestId": request_id.get(),
        **extensions,
    }
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return JSONResponse(body, status, headers, media_type="application/problem+json")


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


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = tuple(
        FieldError(".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), e["msg"])
        for e in exc.errors()
    )
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem(422, "invalid-input", "Invalid input", detail, errors=errors)


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    code = phrase.lower().replace(" ", "-")
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, code, phrase, detail, headers=headers)


def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return problem(500, "internal-error", "Internal server error", "An unexpected error occurred.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
