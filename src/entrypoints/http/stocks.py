"""HTTP routes of the stocks context."""

from __future__ import annotations

from fastapi import APIRouter, Request

from domain.stocks.model import MAX_CURRENCIES, STOCK_ID
from domain.stocks.service import StockValuationService
from entrypoints.http.edge import EdgeRoute
from entrypoints.http.errors import problems
from entrypoints.http.models.stocks import StockValuationBody

# Three letters each, in any case, white space around them allowed (as the domain reads it).
_CODE = r"\s*[A-Za-z]{3}\s*"
CURRENCY_LIST = f"^{_CODE}(,{_CODE}){{0,{MAX_CURRENCIES - 1}}}$"


# The two parameters, documented here because the route reads them itself (see below).
_PARAMETERS = [
    {
        "name": "stock_id",
        "in": "path",
        "required": True,
        "description": "1-16 characters of A-Z a-z 0-9 . _ - (case-sensitive)",
        "schema": {"type": "string", "pattern": f"^{STOCK_ID.pattern}$", "examples": ["AMZN"]},
    },
    {
        "name": "currencies",
        "in": "query",
        "required": False,
        "description": f"1 to {MAX_CURRENCIES} comma-separated ISO 4217 codes, e.g. USD,JPY, "
        "in any case (default: STOCK_CURRENCIES). Codes that are not active currencies with "
        "a minor unit (XXX, XAU, withdrawn ones) are a 422; a currency the rates provider "
        "does not quote is a 503.",
        "schema": {"type": "string", "pattern": CURRENCY_LIST, "example": "USD,JPY"},
    },
]


def stocks_router(service: StockValuationService) -> APIRouter:
    router = APIRouter(tags=["stocks"], route_class=EdgeRoute)

    @router.get(
        "/stock/{stock_id}",
        response_model=StockValuationBody,
        responses=problems(404, 503),
        openapi_extra={"parameters": _PARAMETERS},
    )
    async def get_stock(request: Request) -> StockValuationBody:
        """A stock's value in the base currency (EUR) and in the requested currencies."""
        # Read straight from the request: FastAPI's per-request parameter solving was the
        # largest cost of this hot route (bench/throughput.py); the domain validates both.
        currencies = request.query_params.get("currencies")
        valuation = await service.value_of(
            request.path_params["stock_id"], None if currencies is None else currencies.split(",")
        )
        return StockValuationBody.of(valuation)

    return router
