"""Payments over HTTP: the provider contract in docs/orders.md (Stripe-like, idempotency keys)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from domain.orders.errors import PaymentDeclinedError, PaymentUnavailableError

#: Explicit timeouts: a payment call must not hang; the saga retries with backoff.
DEFAULT_TIMEOUT = httpx.Timeout(connect=1.0, read=5.0, write=2.0, pool=1.0)


class HttpPaymentGateway:
    """PaymentGateway calling ``POST {base_url}/charges`` and ``POST {base_url}/refunds``.

    Each call carries an ``Idempotency-Key`` header, so a retry never charges or refunds twice.
    402 is a decline (PaymentDeclinedError: nothing charged); timeouts, connection errors,
    5xx and any other unexpected answer are PaymentUnavailableError (the outcome is unknown,
    so the saga retries, then compensates by asking again with the same key).
    """

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/")

    async def charge(
        self, order_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> str:
        body = {"orderId": order_id, "amount": format(amount, "f"), "currency": currency}
        return str((await self._post("/charges", body, idempotency_key))["chargeId"])

    async def refund(self, charge_id: str, amount: Decimal, idempotency_key: str) -> str:
        body = {"chargeId": charge_id, "amount": format(amount, "f")}
        return str((await self._post("/refunds", body, idempotency_key))["refundId"])

    async def _post(self, path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        try:
            response = await self._client.post(
                self._base + path, json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError as exc:
            raise PaymentUnavailableError(
                f"The payment provider failed: {type(exc).__name__}."
            ) from exc
        if response.status_code == 402:
            raise PaymentDeclinedError(response.text)
        if response.status_code not in (200, 201):
            raise PaymentUnavailableError(
                f"The payment provider answered HTTP {response.status_code}."
            )
        try:
            answer: dict[str, Any] = response.json()
            return answer
        except ValueError as exc:
            raise PaymentUnavailableError("The payment provider answered nonsense.") from exc
