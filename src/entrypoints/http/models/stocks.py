"""Wire models of the stocks context."""

from typing import Self

from pydantic import Field

from domain.stocks.model import StockValuation
from entrypoints.http.models.shared import ResponseModel


class StockValuationBody(ResponseModel):
    """A stock's value; amounts are decimal strings rounded half-up to the minor unit."""

    stock: str = Field(examples=["AMZN"])
    base: str = Field(examples=["EUR"])
    values: dict[str, str] = Field(examples=[{"EUR": "172.35", "USD": "186.53"}])
    rates_as_of: str | None = Field(
        description="The provider's date of the rates (ISO 8601); null when none were needed."
    )
    stale: bool = Field(
        description="True when the rates are a last-known-good copy because the provider failed."
    )

    @classmethod
    def of(cls, valuation: StockValuation) -> Self:
        return cls(
            stock=valuation.stock_id,
            base=valuation.base,
            values={code: format(v, "f") for code, v in valuation.values.items()},
            rates_as_of=valuation.rates_as_of,
            stale=valuation.stale,
        )
