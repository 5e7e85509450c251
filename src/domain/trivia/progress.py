"""Player progress and the events a recorded play publishes."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

#: Experience needed for levels 1 to 10; below 100 is level 0.
LEVEL_THRESHOLDS = (100, 250, 500, 800, 1100, 1500, 3000, 10000, 25000, 50000)

SCORE_RECORDED = "trivia.score-recorded"
EXPERIENCE_EARNED = "trivia.experience-earned"


def level(experience: int) -> int:
    return bisect.bisect_right(LEVEL_THRESHOLDS, experience)


@dataclass(frozen=True, slots=True)
class Progress:
    username: str
    experience: int = 0
    wins: int = 0

    @property
    def level(self) -> int:
        return level(self.experience)
