"""HTTP routes of the stocks context."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from domain.stocks.service import StockValuationService
from entrypoints.http.errors import PROBLEM_RESPONSES


class StockValuationBody(BaseModel):
    """A stock's value; amounts are decimal strings rounded half-up to the minor unit."""

    stock: str = Field(examples=["AMZN"])
    base: str = Field(examples=["EUR"])
    values: dict[str, str] = Field(examples=[{"EUR": "172.35", "USD": "186.53"}])
    ratesAsOf: str | None = Field(
        description="The provider's date of the rates (ISO 8601); null when none were needed."
    )
    stale: bool = Field(
        description="True when the rates are a last-known-good copy because the provider failed."
    )


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: PROBLEM_RESPONSES[404],
    422: PROBLEM_RESPONSES[422],
    503: PROBLEM_RESPONSES[503],
}


# The two parameters, documented here because the route reads them itself (see below).
_PARAMETERS = [
    {
        "name": "stock_id",
        "in": "path",
        "required": True,
        "description": "1-16 characters of A-Z a-z 0-9 . _ - (case-sensitive)",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,16}$"},
    },
    {
        "name": "currencies",
        "in": "query",
        "required": False,
        "description": "Comma-separated ISO 4217 codes, e.g. USD,JPY (default: STOCK_CURRENCIES)",
        "schema": {"type": "string", "example": "USD,JPY"},
    },
]


def stocks_router(service: StockValuationService) -> APIRouter:
    router = APIRouter(tags=["stocks"])

    @router.get(
        "/stock/{stock_id}",
        response_model=StockValuationBody,
        responses=_PROBLEMS,
        openapi_extra={"parameters": _PARAMETERS},
    )
    async def get_stock(request: Request) -> JSONResponse:
        """A stock's value in the base currency (EUR) and in the requested currencies."""
        # Read straight from the request: FastAPI's per-request parameter solving was the
        # largest cost of this hot route (bench/throughput.py); the domain validates both.
        currencies = request.query_params.get("currencies")
        valuation = await service.value_of(
            request.path_params["stock_id"], None if currencies is None else currencies.split(",")
        )
        # Returned as a response so the Decimal strings are not re-validated on the hot path.
        return JSONResponse(
            {
                "stock": valuation.stock_id,
                "base": valuation.base,
                "values": {code: format(v, "f") for code, v in valuation.values.items()},
                "ratesAsOf": valuation.rates_as_of,
                "stale": valuation.stale,
            }
        )

    return router
