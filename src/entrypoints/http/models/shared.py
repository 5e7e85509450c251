"""What every context's wire models share: the strict request base, the response base, the
problem document, exact decimals and the leaderboard page."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.alias_generators import to_camel
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError, core_schema

from domain.leaderboards.model import MAX_LIMIT, MAX_OFFSET, Page, RankedEntry

#: What the document says of the unknown fields of a request body (ignored, but decoded and
#: bounded like the rest): any JSON value the bounded decoder takes (``BoundedJson``, added to
#: the document by ``entrypoints.http.openapi``).
UNKNOWN_FIELDS: JsonDict = {"additionalProperties": {"$ref": "#/components/schemas/BoundedJson"}}


def _title(name: str, _: object) -> str:
    # A field's title in the document from its Python name: "Request token", not pydantic's
    # "Requesttoken" from the camelCase alias.
    return name.replace("_", " ").capitalize()


class RequestModel(BaseModel):
    """A request body: strict types (no "1" for 1, no true for 1; a whole 2.0 may stand for
    2 where a model says so), camelCase names, unknown fields ignored and never used."""

    model_config = ConfigDict(
        json_schema_extra=UNKNOWN_FIELDS,
        field_title_generator=_title,
        strict=True,
        extra="ignore",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
    )


class ResponseModel(BaseModel):
    """A response body: built by the routes from domain values, sent with camelCase names."""

    model_config = ConfigDict(
        # Built on first use, not at import: a Lambda cold start pays only for the answers it
        # gives (measured: 33 M instructions fewer, 2%). Request models are not deferred:
        # FastAPI wraps a body's model in its own field information, which a deferred build
        # warns about.
        defer_build=True,
        field_title_generator=_title,
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
    )


class HealthBody(ResponseModel):
    status: Literal["ok"]


class ReadinessBody(ResponseModel):
    status: Literal["ready"]
    checks: dict[str, Literal["ok", "failed"]] = Field(
        description="Each dependency; an optional one may fail while the service is ready."
    )


class FieldProblem(BaseModel):
    field: str = Field(examples=["items[0].quantity"])
    message: str = Field(examples=["must be from 1 to 1000000"])


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``), for every 4xx and 5xx."""

    type: str = Field(examples=["/problems/invalid-input"])
    title: str
    status: int
    detail: str
    requestId: str | None = Field(description="The correlation id (also X-Request-Id).")
    errors: list[FieldProblem] | None = Field(
        None, description="For 422: each invalid field, named as on the wire."
    )


@dataclass(frozen=True, slots=True)
class ExactDecimal:
    """``Annotated[Decimal, ExactDecimal(...)]``: a decimal given as a JSON number or as a
    string matching ``string``, read exactly (the bounded decoder makes every non-integer
    number a Decimal from its text, never a float), from ``minimum`` (``exclusive``: above
    it) to ``maximum``."""

    description: str
    string: str
    minimum: Decimal
    maximum: Decimal
    exclusive: bool = False

    def check(self, value: object) -> Decimal:
        if (isinstance(value, str) and re.fullmatch(self.string, value)) or (
            isinstance(value, int | Decimal) and not isinstance(value, bool)
        ):
            number = Decimal(value)
        else:
            raise PydanticCustomError("decimal", "a number, or a decimal string such as 12.50")
        low = self.minimum < number if self.exclusive else self.minimum <= number
        if not low or number > self.maximum:
            above = "above" if self.exclusive else "at least"
            raise PydanticCustomError(
                "decimal_range", f"{above} {self.minimum}, at most {self.maximum}"
            )
        return number

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(
        self, schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        low = "exclusiveMinimum" if self.exclusive else "minimum"
        return {
            "description": self.description,
            "anyOf": [
                {"type": "number", low: float(self.minimum), "maximum": float(self.maximum)},
                {"type": "string", "pattern": f"^{self.string}$"},
            ],
        }


def whole(value: object) -> object:
    """``value`` as an int when it is a whole Decimal: JSON Schema's "integer" admits 2.0
    (and clients send it). The bounded decoder has kept its size small enough to convert."""
    if type(value) is Decimal and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


#: ``Annotated[int, Field(ge=..., le=...), WHOLE]``: an integer, also written as 2.0 (never
#: true); the Field comes first, so the schema carries the bounds.
WHOLE = BeforeValidator(whole)
#: A ``pattern`` for text that must hold a character other than white space (searched).
NOT_BLANK = r"\S"


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Entries per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip.")]


class EntryBody(ResponseModel):
    rank: int = Field(ge=1, description='Competition ranking: ties share a rank ("1224").')
    member: str
    score: str = Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["164.45"])
    achieved_at: str = Field(description="ISO 8601, UTC, milliseconds")
    display: dict[str, str]


class PageBody(ResponseModel):
    """One page of a ranked board, and the asking member's own entry (``me``)."""

    board: str
    entries: list[EntryBody]
    me: EntryBody | None
    total: int = Field(ge=0)


def iso_millis(moment: datetime) -> str:
    """An instant on the wire: ISO 8601 in UTC to the millisecond (``...T12:00:00.000Z``)."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry_body(ranked: RankedEntry) -> dict[str, Any]:
    entry = ranked.entry
    return {
        "rank": ranked.rank,
        "member": entry.member,
        "score": format(entry.score, "f"),
        "achieved_at": iso_millis(entry.achieved_at),
        "display": dict(entry.display),
    }


def page_fields(
    page: Page, entry: Callable[[RankedEntry], dict[str, Any]] = entry_body
) -> dict[str, Any]:
    """The fields of a page model (``entry`` builds each entry's fields)."""
    return {
        "board": page.board,
        "entries": [entry(e) for e in page.entries],
        "me": None if page.me is None else entry(page.me),
        "total": page.total,
    }
