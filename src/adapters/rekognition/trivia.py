"""ImageModerator on Amazon Rekognition's ``DetectModerationLabels``: a picture with any
moderation label at or above the minimum confidence (``MODERATION_MIN_CONFIDENCE``) is
rejected, the reason naming the labels' top-level categories. The picture sent is the
re-encoded avatar (JPEG or PNG, at most 512 px a side: within Rekognition's formats and its
5 MB limit for bytes). An image Rekognition cannot read is rejected too (it cannot be shown
unmoderated); throttling, service errors and refused parameters (a misconfiguration, never a
player's doing) are ModerationUnavailableError (the event is retried), after boto3's own
bounded retries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from adapters.boto import call
from domain.trivia.errors import ModerationUnavailableError
from domain.trivia.profiles import Picture, Verdict

if TYPE_CHECKING:
    from mypy_boto3_rekognition.client import RekognitionClient

#: Rekognition's answers about the image itself: it cannot be moderated, so not shown.
_UNREADABLE = {"InvalidImageFormatException", "ImageTooLargeException"}


class RekognitionImageModerator:
    """ImageModerator on Rekognition (see the module docstring)."""

    def __init__(self, client: RekognitionClient, min_confidence: float) -> None:
        self._client = client
        self._min_confidence = min_confidence

    async def moderate(self, picture: Picture) -> Verdict:
        try:
            answer = await call(
                ModerationUnavailableError,
                "moderation",
                self._client.detect_moderation_labels,
                expected=_UNREADABLE,
                Image={"Bytes": picture.data},
                MinConfidence=self._min_confidence,
            )
        except ClientError as exc:
            return Verdict(
                False, f"the image could not be moderated ({exc.response['Error']['Code']})"
            )
        labels = [
            label for label in answer.get("ModerationLabels", [])
            if float(label.get("Confidence", 0)) >= self._min_confidence
        ]  # fmt: skip
        if not labels:
            return Verdict(True)
        # The top-level categories ("Explicit", "Violence"; Rekognition returns a label's
        # ancestors with it): the player learns the kind, once each, not the details.
        top = [x for x in labels if int(x.get("TaxonomyLevel", 1)) == 1] or labels
        kinds = dict.fromkeys(str(x.get("ParentName") or x.get("Name")) for x in top)
        return Verdict(False, "moderation found: " + ", ".join(kinds))
