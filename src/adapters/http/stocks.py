"""Exchange rates over HTTP from a Frankfurter-compatible API (``GET /latest``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import httpx

from domain.shared.decoding import JsonLimits, UndecodableError, decode_json
from domain.shared.retry import Retry
from domain.stocks.errors import RatesUnavailableError
from domain.stocks.model import Rates

log = logging.getLogger(__name__)

#: Explicit timeouts: the provider is a third party, and a request must not hang on it.
DEFAULT_TIMEOUT = httpx.Timeout(connect=1.0, read=2.0, write=2.0, pool=1.0)


# Real exchange rates sit far inside these bounds; anything outside is a broken answer (and
# would overflow or vanish in the conversion).
_MIN_RATE, _MAX_RATE = Decimal("1e-9"), Decimal("1e9")
#: A rates document for every currency there is stays far below this.
ANSWER_LIMITS = JsonLimits(max_bytes=256 * 1024, max_depth=4)


class _Transient(Exception):
    """A failure worth retrying: timeout, connection error, 5xx or 429."""


class HttpRatesProvider:
    """RatesProvider calling ``GET {base_url}/latest?base=EUR&symbols=USD,CAD``.

    Expects ``{"base": "EUR", "date": "YYYY-MM-DD", "rates": {"USD": 1.08, ...}}``. Numbers
    are parsed from the JSON text as Decimal, never through float. Timeouts, connection
    errors, 429 and 5xx are retried ``retries`` times with exponential backoff and full
    jitter; any other answer that is not a valid rates document fails at once.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        retries: int = 2,
        backoff_base_seconds: float = 0.1,
        backoff_cap_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/latest"
        self._retry = Retry(retries + 1, backoff_base_seconds, backoff_cap_seconds)

    async def get_rates(self, base: str, symbols: Sequence[str]) -> Rates:
        params = {"base": base, "symbols": ",".join(symbols)}
        try:
            body = await self._retry.call(lambda: self._fetch(params), on=(_Transient,))
        except _Transient as exc:
            raise RatesUnavailableError(
                f"The exchange-rate provider failed {self._retry.attempts} times."
            ) from exc
        return self._parse(body, base).ensure_covers(symbols)

    async def _fetch(self, params: dict[str, str]) -> bytes:
        try:
            async with self._client.stream("GET", self._url, params=params) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Transient(f"HTTP {response.status_code}")
                if response.status_code != 200:
                    raise RatesUnavailableError(
                        f"The exchange-rate provider answered HTTP {response.status_code}."
                    )
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > ANSWER_LIMITS.max_bytes:  # stop reading: it is malformed
                        break
                return body
        except httpx.TransportError as exc:  # timeouts, refused connections, protocol errors
            raise _Transient(type(exc).__name__) from exc

    @staticmethod
    def _parse(body: bytes, base: str) -> Rates:
        try:
            doc = decode_json(body, ANSWER_LIMITS, "rates answer")
            if not isinstance(doc, dict) or doc.get("base") != base:
                raise ValueError("not a rates document for the requested base")
            day, rates = doc.get("date"), doc.get("rates")
            if not isinstance(day, str) or not isinstance(rates, dict):
                raise ValueError("no date or no rates")
            as_of = date.fromisoformat(day).isoformat()
            parsed: dict[str, Decimal] = {}
            for code, rate in rates.items():
                if isinstance(rate, bool) or not isinstance(rate, int | Decimal):
                    raise ValueError("a rate is not a number")
                if not _MIN_RATE <= rate <= _MAX_RATE:
                    raise ValueError("a rate is outside the plausible range")
                parsed[code] = Decimal(rate)
        except (UndecodableError, ValueError) as exc:
            raise RatesUnavailableError(
                "The exchange-rate provider answered with a malformed document."
            ) from exc
        return Rates(base, parsed, as_of)
