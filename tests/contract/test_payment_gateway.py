"""PaymentGateway contract: in memory, and HTTP against a real loopback provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from adapters.memory.orders import InMemoryPaymentGateway
from domain.orders.errors import PaymentDeclinedError, PaymentUnavailableError
from ports.orders import PaymentGateway
from tests.support.fake_payments import FakePaymentProvider

pytestmark = pytest.mark.anyio


@dataclass
class Subject:
    gateway: PaymentGateway
    provider: FakePaymentProvider | None  # the HTTP side's loopback provider

    def decline_next(self) -> None:
        if self.provider is not None:
            self.provider.fail_next(1, "decline")


@pytest.fixture(params=["memory", "http"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        yield Subject(InMemoryPaymentGateway(decline_over=Decimal("100")), None)
        return
    from adapters.http.orders import HttpPaymentGateway

    with FakePaymentProvider() as provider:
        async with httpx.AsyncClient(timeout=1) as http:
            yield Subject(HttpPaymentGateway(http, provider.url), provider)


async def test_a_key_charges_once(subject: Subject) -> None:
    first = await subject.gateway.charge("o1", Decimal("12.50"), "EUR", "o1:charge")
    assert await subject.gateway.charge("o1", Decimal("12.50"), "EUR", "o1:charge") == first
    other = await subject.gateway.charge("o2", Decimal("1.00"), "EUR", "o2:charge")
    assert other != first


async def test_a_key_refunds_once(subject: Subject) -> None:
    charge = await subject.gateway.charge("o1", Decimal("12.50"), "EUR", "o1:charge")
    refund = await subject.gateway.refund(charge, Decimal("12.50"), "o1:refund")
    assert await subject.gateway.refund(charge, Decimal("12.50"), "o1:refund") == refund


async def test_a_decline_is_a_business_failure(subject: Subject) -> None:
    subject.decline_next()
    with pytest.raises(PaymentDeclinedError):
        await subject.gateway.charge("o9", Decimal("500.00"), "EUR", "o9:charge")


async def test_http_server_errors_and_lost_answers_are_transient_then_replayed() -> None:
    from adapters.http.orders import HttpPaymentGateway

    with FakePaymentProvider() as provider:
        async with httpx.AsyncClient(timeout=0.5) as http:
            gateway = HttpPaymentGateway(http, provider.url)
            provider.fail_next(1, "error")
            with pytest.raises(PaymentUnavailableError):
                await gateway.charge("o1", Decimal("5.00"), "EUR", "o1:charge")
            assert provider.charges == {}
            provider.fail_next(1, "lost")  # charged, but the answer is a 500
            with pytest.raises(PaymentUnavailableError):
                await gateway.charge("o1", Decimal("5.00"), "EUR", "o1:charge")
            replayed = await gateway.charge("o1", Decimal("5.00"), "EUR", "o1:charge")
            assert replayed == provider.charges["o1:charge"]["chargeId"]
            assert provider.net_charged == Decimal("5.00")
            provider.fault, provider.delay = "slow", 1.0
            with pytest.raises(PaymentUnavailableError):
                await gateway.charge("o2", Decimal("5.00"), "EUR", "o2:charge")
