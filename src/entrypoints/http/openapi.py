"""The OpenAPI document, completed where FastAPI leaves it short.

FastAPI describes bodies, parameters and success answers from the routes' models. This adds
what the edge does to every operation, in one place: each error status answers an RFC 9457
problem document as ``application/problem+json`` (FastAPI would say ``application/json``
and its own validation-error shape); operations with a body also answer 408, 413, 415, 422,
and say their body limit (also as ``x-max-body-bytes``); operations with parameters 422;
any may answer 500 (``Retry-After`` is declared on 503, ``WWW-Authenticate`` on 401).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from domain.shared.decoding import MAX_INTEGER
from entrypoints.http.edge import LIMIT_KEY
from entrypoints.http.errors import STATUS_DESCRIPTIONS
from entrypoints.http.models.shared import Problem

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# Any JSON value the bounded decoder takes, as far as a schema can say it (nesting and the
# length of number literals are bounded too: docs/edge.md).
_BOUNDED = "#/components/schemas/BoundedJson"
_BOUNDED_JSON = {
    "description": "Any JSON value within the bounded decoder's limits: every number within "
    "+/-(2**53 - 1), strings of Unicode scalar values, objects without duplicate names, "
    "at most 32 levels deep.",
    "anyOf": [
        {"type": "null"},
        {"type": "boolean"},
        {"type": "string"},
        {"type": "number", "minimum": -MAX_INTEGER, "maximum": MAX_INTEGER},
        {"type": "array", "items": {"$ref": _BOUNDED}},
        {"type": "object", "additionalProperties": {"$ref": _BOUNDED}},
    ],
}
_HEADERS = {
    "401": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    "503": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
}


def install_openapi(app: FastAPI) -> None:
    """Serve the completed document at ``app.openapi_url`` (built once, on first request)."""

    build = app.openapi  # FastAPI's: builds the document once and keeps it
    completed: dict[str, Any] = {}

    def document() -> dict[str, Any]:
        if not completed:
            completed.update(complete(build()))
        return completed

    app.openapi = document  # type: ignore[method-assign]  # FastAPI's documented override


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (FastAPI's document) with the edge's answers added (see the module)."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            statuses = {500}
            if "requestBody" in operation:
                body, limit = operation["requestBody"], operation[LIMIT_KEY]
                said = body.get("description", "")
                body["description"] = f"{said} At most {limit:,} bytes.".strip()
                statuses |= {408, 413, 415, 422}
            if operation.get("parameters"):
                statuses.add(422)
            for added in statuses:  # FastAPI's own 422 ("Validation Error") is replaced too
                responses[str(added)] = {"description": STATUS_DESCRIPTIONS[added]}
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = _PROBLEM
                    if code in _HEADERS:
                        response["headers"] = _HEADERS[code]
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas["BoundedJson"] = _BOUNDED_JSON
    return spec
