"""Contracts of the image moderator: the in-memory list, and Rekognition's
``DetectModerationLabels`` against a loopback server speaking its documented JSON contract
(no AWS here, as for the rates provider)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from adapters.memory.trivia_profiles import InMemoryImageModerator
from adapters.rekognition.trivia import RekognitionImageModerator
from domain.trivia.errors import ModerationUnavailableError
from domain.trivia.profiles import Picture, Verdict, digest
from ports.trivia import ImageModerator
from tests.support.fake_rekognition import FakeRekognition

pytestmark = pytest.mark.anyio
FINE = Picture("image/jpeg", b"\xff\xd8fine", 10, 10, digest(b"fine upload"))
BAD = Picture("image/jpeg", b"\xff\xd8bad", 10, 10, digest(b"bad upload"))


@pytest.fixture
def rekognition() -> Iterator[FakeRekognition]:
    with FakeRekognition() as fake:
        yield fake


def rekognition_moderator(
    fake: FakeRekognition, min_confidence: float = 80
) -> RekognitionImageModerator:
    client = boto3.client(
        "rekognition", endpoint_url=fake.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )  # fmt: skip
    return RekognitionImageModerator(client, min_confidence)


@pytest.fixture(params=["memory", "rekognition"])
def moderator(request: pytest.FixtureRequest) -> ImageModerator:
    """A moderator that finds BAD unacceptable and FINE acceptable."""
    if request.param == "memory":
        return InMemoryImageModerator([digest(b"bad upload").upper()])
    fake: FakeRekognition = request.getfixturevalue("rekognition")
    fake.label(BAD.data, ("Graphic Violence", "Violence", 97.2), ("Weapons", "Violence", 91.0))
    return rekognition_moderator(fake)


async def test_a_picture_is_accepted_or_rejected_with_a_reason(moderator: ImageModerator) -> None:
    assert (await moderator.moderate(FINE)).accepted
    verdict = await moderator.moderate(BAD)
    assert not verdict.accepted
    assert verdict.reason


async def test_rekognition_rejects_at_the_minimum_confidence_and_names_the_kinds(
    rekognition: FakeRekognition,
) -> None:
    rekognition.label(BAD.data, ("Explicit Nudity", "Explicit", 85.0), ("Nudity", "Explicit", 99.0))
    rekognition.label(FINE.data, ("Smoking", "Drugs & Tobacco", 55.0))
    moderator = rekognition_moderator(rekognition, 80)
    assert await moderator.moderate(BAD) == Verdict(False, "moderation found: Explicit")
    assert (await moderator.moderate(FINE)).accepted  # 55 < 80
    assert rekognition.requests[-1]["MinConfidence"] == 80
    strict = rekognition_moderator(rekognition, 50)
    assert await strict.moderate(FINE) == moderator_verdict(
        False, "moderation found: Drugs & Tobacco"
    )


def moderator_verdict(accepted: bool, reason: str) -> object:
    from domain.trivia.profiles import Verdict

    return Verdict(accepted, reason)


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        ("InvalidImageFormatException", "rejected"),  # cannot be moderated: not shown
        ("ThrottlingException", "unavailable"),
        ("InternalServerError", "unavailable"),
    ],
)
async def test_rekognition_failures(rekognition: FakeRekognition, fault: str, outcome: str) -> None:
    rekognition.fault = fault
    moderator = rekognition_moderator(rekognition)
    if outcome == "rejected":
        verdict = await moderator.moderate(FINE)
        assert not verdict.accepted
        assert verdict.reason == f"the image could not be moderated ({fault})"
    else:
        with pytest.raises(ModerationUnavailableError):
            await moderator.moderate(FINE)
