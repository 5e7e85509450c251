"""A hosted live game: the server holds it, clients only send intentions.

The rules (``docs/trivia-live.md``): only the quiz's owner hosts it, from a copy taken
at hosting, and only a quiz whose mode is not ``single``; only the host starts, asks, closes,
shows the scoreboard and ends; a player answers each question once, while it is open and
before its deadline; the correct answers go out only when their question closes. Casual: one
question at a time, every correct answer scores 1. Competitive: questions are asked by round
(their ``round``; a question without one is its own round), every correct answer scores 1.
Live: one question at a time, the first correct answer scores 1 and closes the question.
When the host leaves the game pauses (answers are refused, the deadline stops); the host may
come back within the grace, after which the game ends as it stands.

A ``LiveGame`` is plain state: the live-game store keeps it, and decides "one answer per
player" and "the first correct answer" atomically (the domain's ``answer`` is the rule those
atomic steps implement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.trivia.errors import (
    AlreadyAnsweredError,
    GameEndedError,
    GameNotStartedError,
    InvalidQuizError,
    LiveNotAllowedError,
    NotHostError,
    NotInGameError,
    QuestionClosedError,
)
from domain.trivia.model import Mode, Question, Quiz, QuizContent

#: ``questionSeconds``: the default, and its bounds.
QUESTION_SECONDS = 30
MIN_QUESTION_SECONDS, MAX_QUESTION_SECONDS = 5, 300


class LiveState(StrEnum):
    LOBBY = "lobby"
    QUESTION = "question"
    CLOSED = "closed"
    SCOREBOARD = "scoreboard"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class PublicQuestion:
    """A question as players see it while it is open: never its answer."""

    number: int
    text: str
    options: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Reveal:
    """A closed question's correct answer (an option index or the answer text)."""

    number: int
    correct: int | str
    follow_up: str | None


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    player: str
    score: int


@dataclass(frozen=True, slots=True)
class ChatMessage:
    channel: str
    sender: str
    text: str
    at: int


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """What one accepted answer did: in live mode, a first correct answer closes the
    question (``reveals`` then holds its answer)."""

    question_number: int
    correct: bool
    first_correct: bool = False
    reveals: tuple[Reveal, ...] = ()


def rounds_of(content: QuizContent) -> list[tuple[int, ...]]:
    """The question numbers (1-based) asked together: by ``round`` in competitive mode (in
    the order rounds first appear; a question without one is its own round), else one by one."""
    if content.mode is not Mode.COMPETITIVE:
        return [(n,) for n in range(1, len(content.questions) + 1)]
    grouped: dict[object, list[int]] = {}
    for number, question in enumerate(content.questions, start=1):
        key: object = question.round if question.round is not None else ("alone", number)
        grouped.setdefault(key, []).append(number)
    return [tuple(numbers) for numbers in grouped.values()]


def competition_ranking(scores: dict[str, int]) -> list[Standing]:
    """Standings by score, ties sharing a rank ("1224"), tied players by name."""
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    standings: list[Standing] = []
    for position, (player, score) in enumerate(ordered, start=1):
        tied = standings and standings[-1].score == score
        standings.append(Standing(standings[-1].rank if tied else position, player, score))
    return standings


@dataclass
class LiveGame:
    """One hosted game (see the module docstring). Times are epoch milliseconds."""

    game_id: str
    quiz_id: str
    host: str
    content: QuizContent
    question_seconds: int = QUESTION_SECONDS
    state: LiveState = LiveState.LOBBY
    started: bool = False
    players: list[str] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    #: Correct answers per player (in live mode, also those after the first): experience.
    correct: dict[str, int] = field(default_factory=dict)
    round_index: int = -1
    open_numbers: tuple[int, ...] = ()
    closes_at: int | None = None
    answered: set[tuple[int, str]] = field(default_factory=set)
    first_correct: dict[int, str] = field(default_factory=dict)
    paused_at: int | None = None
    #: Bumped by every save of the store: host actions are versioned writes.
    version: int = 0
    hosted_at: int = 0

    @classmethod
    def hosted(
        cls,
        game_id: str,
        quiz: Quiz,
        by: str,
        question_seconds: int = QUESTION_SECONDS,
        now: int = 0,
    ) -> LiveGame:
        """A new game of ``quiz`` hosted by ``by``, who must own it; the game keeps a copy."""
        if by != quiz.owner:
            raise LiveNotAllowedError("Only the quiz's owner may host it.")
        if quiz.content.mode is Mode.SINGLE:
            raise LiveNotAllowedError("A single-player quiz is played alone, not hosted.")
        if type(question_seconds) is not int or not (
            MIN_QUESTION_SECONDS <= question_seconds <= MAX_QUESTION_SECONDS
        ):
            raise InvalidQuizError(
                f"questionSeconds: {MIN_QUESTION_SECONDS}..{MAX_QUESTION_SECONDS}"
            )
        return cls(game_id, quiz.quiz_id, by, quiz.content, question_seconds, hosted_at=now)

    @property
    def mode(self) -> Mode:
        return self.content.mode

    @property
    def rounds(self) -> list[tuple[int, ...]]:
        return rounds_of(self.content)

    # -- people -----------------------------------------------------------------------------

    def join(self, player: str, now: int) -> bool:
        """A player joins (or rejoins: nothing of theirs is lost); the host joining is the
        host coming back, which resumes a paused game (then True)."""
        self._not_ended()
        if player == self.host:
            return self._resume(now)
        if player not in self.scores:
            self.players.append(player)
            self.scores[player] = 0
            self.correct[player] = 0
        return False

    def host_left(self, now: int) -> None:
        if self.state is not LiveState.ENDED and self.paused_at is None:
            self.paused_at = now

    def grace_over(self, now: int, grace_seconds: int) -> bool:
        """Whether the host has been gone longer than the grace (the game is then ended)."""
        return self.paused_at is not None and now - self.paused_at >= grace_seconds * 1000

    def _resume(self, now: int) -> bool:
        if self.paused_at is None:
            return False
        if self.closes_at is not None and self.state is LiveState.QUESTION:
            self.closes_at += now - self.paused_at  # the deadline stood still meanwhile
        self.paused_at = None
        return True

    # -- the host's actions -----------------------------------------------------------------

    def start(self, by: str) -> None:
        self._by_host(by)
        if self.started:
            raise LiveNotAllowedError("The game has started already.")
        self.started = True

    def ask(self, by: str, now: int) -> tuple[list[PublicQuestion], int]:
        """Open the next question (the next round in competitive mode); its questions as
        players see them, and the deadline."""
        self._by_host(by)
        self._running()
        if self.state is LiveState.QUESTION:
            raise LiveNotAllowedError("Close the open question first.")
        rounds = self.rounds
        if self.round_index + 1 >= len(rounds):
            raise LiveNotAllowedError("Every question has been asked.")
        self.round_index += 1
        self.open_numbers = rounds[self.round_index]
        self.closes_at = now + self.question_seconds * 1000
        self.state = LiveState.QUESTION
        return [self._public(n) for n in self.open_numbers], self.closes_at

    def close(self, by: str) -> list[Reveal]:
        """Close the open question(s): their answers, revealed."""
        self._by_host(by)
        if self.state is not LiveState.QUESTION:
            raise LiveNotAllowedError("No question is open.")
        return self._close()

    def expire(self, now: int) -> list[Reveal] | None:
        """Close the open question(s) if their deadline has passed (a paused game's clock
        stands still); None when nothing closed."""
        if self.state is not LiveState.QUESTION or self.paused_at is not None:
            return None
        assert self.closes_at is not None
        return self._close() if now >= self.closes_at else None

    def scoreboard(self, by: str) -> list[Standing]:
        self._by_host(by)
        self._running()
        if self.state is LiveState.QUESTION:
            raise LiveNotAllowedError("Close the open question first.")
        self.state = LiveState.SCOREBOARD
        return self.standings()

    def end(self, by: str | None) -> tuple[list[Standing], list[str]]:
        """End the game (``by`` None: the host's grace ran out): the final standings and the
        winners (the top score, ties all win; a top score of 0 wins nothing)."""
        if by is not None:
            self._by_host(by)
        self._not_ended()
        self.state, self.open_numbers, self.closes_at, self.paused_at = (
            LiveState.ENDED, (), None, None
        )  # fmt: skip
        standings = self.standings()
        top = standings[0].score if standings else 0
        return standings, [s.player for s in standings if s.score == top and top > 0]

    # -- a player's answer ------------------------------------------------------------------

    def answer(self, player: str, number: int, response: int | str, now: int) -> AnswerOutcome:
        """Take a player's one answer to an open question, before its deadline."""
        return self.record_answer(player, number, self.accepts(number, response), now)

    def accepts(self, number: int, response: int | str) -> bool:
        """Whether ``response`` is right for question ``number`` (False for no such one)."""
        return self.content.accepts(number, response)

    def record_answer(self, player: str, number: int, correct: bool, now: int) -> AnswerOutcome:
        """The one step a live-game store makes atomic: the checks, "one answer per player
        per question", and in live mode "the first correct answer" (which closes it)."""
        self._not_ended()
        if player not in self.scores:
            raise NotInGameError("Join the game to answer.")
        if not self.started:
            raise GameNotStartedError("The game has not started.")
        if self.paused_at is not None:
            raise LiveNotAllowedError("The game is paused until the host is back.")
        # Past the deadline: refused, the question still open; closing (and announcing) it
        # is the clock's (``expire``).
        late = self.closes_at is not None and now >= self.closes_at
        if late or self.state is not LiveState.QUESTION or number not in self.open_numbers:
            raise QuestionClosedError(f"Question {number} is not open.")
        if (number, player) in self.answered:
            raise AlreadyAnsweredError(f"Question {number} is answered already.")
        self.answered.add((number, player))
        if not correct:
            return AnswerOutcome(number, False)
        self.correct[player] += 1
        if self.mode is not Mode.LIVE:
            self.scores[player] += 1
            return AnswerOutcome(number, True)
        self.first_correct[number] = player
        self.scores[player] += 1
        return AnswerOutcome(number, True, True, tuple(self._close()))

    # -- views ------------------------------------------------------------------------------

    def standings(self) -> list[Standing]:
        return competition_ranking(self.scores)

    def open_questions(self) -> list[PublicQuestion]:
        """The open questions as players see them (for a player who rejoins)."""
        if self.state is not LiveState.QUESTION:
            return []
        return [self._public(n) for n in self.open_numbers]

    # -- helpers ----------------------------------------------------------------------------

    def _close(self) -> list[Reveal]:
        reveals = [
            Reveal(n, self._question(n).correct_answer(), self._question(n).follow_up)
            for n in self.open_numbers
        ]
        self.state, self.closes_at = LiveState.CLOSED, None
        return reveals

    def _question(self, number: int) -> Question:
        return self.content.questions[number - 1]

    def _public(self, number: int) -> PublicQuestion:
        question = self._question(number)
        return PublicQuestion(number, question.text, question.options)

    def _by_host(self, by: str) -> None:
        if by != self.host:
            raise NotHostError("Only the host may do this.")
        self._not_ended()
        if self.paused_at is not None:  # the host acting is the host back
            raise LiveNotAllowedError("Join the game again to resume it.")

    def _running(self) -> None:
        if not self.started:
            raise GameNotStartedError("Start the game first.")

    def _not_ended(self) -> None:
        if self.state is LiveState.ENDED:
            raise GameEndedError("The game has ended.")
