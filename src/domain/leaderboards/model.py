"""Ranked boards: entries, submission policies and competition ranking."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import NoReturn

from domain.leaderboards.errors import (
    InvalidLeaderboardRequestError,
    LeaderboardStoreUnavailableError,
)
from domain.shared.errors import FieldError
from domain.shared.time import from_millis, to_millis

MAX_LIMIT = 1000
#: Pages start within the first 100,000 entries (a DynamoDB page costs O(offset) reads).
MAX_OFFSET = 100_000
MAX_AROUND = 100
#: Scores have at most two decimal places and stay below this in magnitude, so every adapter
#: holds them exactly (Redis keeps them as whole cents in a double: exact below 2**53).
MAX_ABS_SCORE = Decimal(10) ** 12
SCORE_PLACES = 2
MAX_DISPLAY_FIELDS = 8
MAX_DISPLAY_TEXT = 256

BOARD_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# No '#': item keys starting with it are reserved for board metadata.
MEMBER_KEY = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")
_DISPLAY_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]{0,31}")


class Policy(StrEnum):
    """How a submission combines with the member's current entry."""

    BEST = "BEST"  # keep the higher score
    LATEST = "LATEST"  # the last submission wins
    FIRST = "FIRST"  # only the first submission counts
    INCREMENT = "INCREMENT"  # add to the current score


class Access(StrEnum):
    """Who may read a board from outside its owning domain."""

    PUBLIC = "public"  # anyone (race results, class records)
    SIGNED_IN = "signed-in"  # anyone signed in (trivia quiz boards)
    MEMBERS = "members"  # only the members of one group (the players of one live game)


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads a board: the signed-in user (None: nobody is) and the groups they are in."""

    user: str | None = None
    groups: frozenset[str] = frozenset()


ANONYMOUS = Reader()


@dataclass(frozen=True, slots=True)
class Visibility:
    """A board's readers, as data the board is stored with (``group`` names the members'
    group for ``MEMBERS``). Stored as text: ``public``, ``signed-in``, ``members:<group>``."""

    access: Access = Access.PUBLIC
    group: str | None = None

    def __post_init__(self) -> None:
        members = self.access is Access.MEMBERS
        if members != (self.group is not None) or not BOARD_KEY.fullmatch(self.group or "x"):
            raise InvalidLeaderboardRequestError(
                (FieldError("visibility", "a group (a board key) for members, else none"),)
            )

    @classmethod
    def members_of(cls, group: str) -> Visibility:
        return cls(Access.MEMBERS, group)

    def admits(self, reader: Reader) -> bool:
        if self.access is Access.PUBLIC:
            return True
        if self.access is Access.SIGNED_IN:
            return reader.user is not None
        return reader.user is not None and self.group in reader.groups

    def text(self) -> str:
        return f"members:{self.group}" if self.access is Access.MEMBERS else self.access.value

    @classmethod
    def parse(cls, text: str | None) -> Visibility:
        """A stored visibility; none stored (a board from before visibility) is public, until
        the board is next created with its readers. LeaderboardStoreUnavailableError for text
        this version cannot read (written by a newer one, say): the store, not the caller."""
        if not text:
            return PUBLIC
        access, _, group = text.partition(":")
        try:
            return cls(Access(access), group or None)
        except (ValueError, InvalidLeaderboardRequestError) as exc:
            unreadable = f"unreadable stored visibility {text!r}"
            raise LeaderboardStoreUnavailableError(unreadable) from exc


PUBLIC = Visibility()


@dataclass(frozen=True, slots=True)
class Board:
    """A ranked board, created by its owning domain with its policy and its readers."""

    key: str
    policy: Policy
    #: Time-bucketed boards (daily, weekly) vanish after this instant.
    expires_at: datetime | None = None
    visibility: Visibility = PUBLIC

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class Entry:
    """A member's standing on a board."""

    member: str
    score: Decimal
    achieved_at: datetime
    display: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    entry: Entry


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The member's entry after a submission, and whether the board changed."""

    changed: bool
    entry: Entry


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a board, the asking member's own standing, and the board's size."""

    board: str
    entries: list[RankedEntry]
    me: RankedEntry | None
    total: int


def apply_policy(policy: Policy, current: Entry | None, submitted: Entry) -> Entry | None:
    """The member's new entry, or None when the submission leaves the board unchanged.

    Among equal scores the earlier achievement ranks first, so a BEST submission that only
    equals the current score changes nothing.
    """
    if current is None:
        return submitted
    if policy is Policy.FIRST:
        return None
    if policy is Policy.BEST:
        return submitted if submitted.score > current.score else None
    if policy is Policy.INCREMENT:
        if submitted.score == 0:
            return None
        return Entry(
            submitted.member,
            current.score + submitted.score,
            submitted.achieved_at,
            submitted.display or current.display,
        )
    return None if submitted == current else submitted  # LATEST


def ranked(entries: list[Entry], first_rank: int, first_position: int) -> list[RankedEntry]:
    """Competition ranks ("1224") for consecutive entries in board order.

    ``first_rank`` is the rank of ``entries[0]`` (1 + how many score strictly higher);
    ``first_position`` its 1-based position on the board. An entry whose score differs from
    the one before it ranks at its position; an equal score shares the rank before it.
    """
    out: list[RankedEntry] = []
    for i, entry in enumerate(entries):
        if i == 0:
            rank = first_rank
        elif entry.score == entries[i - 1].score:
            rank = out[-1].rank
        else:
            rank = first_position + i
        out.append(RankedEntry(rank, entry))
    return out


def to_cents(score: Decimal) -> int:
    return int(score.scaleb(SCORE_PLACES))


def from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-SCORE_PLACES)


#: Tie values run down from this (13 digits: epoch milliseconds until the year 2286), so
#: among equal scores the earlier achievement has the larger tie value and comes first.
TIE_MAX = 9_999_999_999_999


def tie_value(moment: datetime) -> int:
    """A number ordering equal scores earliest-achievement-first when sorted descending."""
    return TIE_MAX - to_millis(moment)


def from_tie_value(tie: int) -> datetime:
    return from_millis(TIE_MAX - tie)


# -- validation: every check raises InvalidLeaderboardRequestError naming the field --------


def check_board_key(key: str) -> str:
    if not BOARD_KEY.fullmatch(key):
        _invalid("board", "must be 1-128 characters of A-Z a-z 0-9 . _ : -")
    return key


def check_member(member: str, field_name: str = "member") -> str:
    if not MEMBER_KEY.fullmatch(member):
        _invalid(field_name, "must be 1-128 characters of A-Z a-z 0-9 . _ : @ + -")
    return member


def check_score(score: Decimal | int | str) -> Decimal:
    """The score as a Decimal with two places; refused beyond the range held exactly."""
    try:
        value = Decimal(score)
    except (InvalidOperation, ValueError, TypeError):
        _invalid("score", "must be a decimal number")
    if not value.is_finite() or abs(value) >= MAX_ABS_SCORE:
        _invalid("score", f"must be a finite number below {MAX_ABS_SCORE:,} in magnitude")
    if value != value.quantize(Decimal(1).scaleb(-SCORE_PLACES)):
        _invalid("score", f"must have at most {SCORE_PLACES} decimal places")
    return value.quantize(Decimal(1).scaleb(-SCORE_PLACES))


def check_display(display: Mapping[str, str] | None) -> dict[str, str]:
    display = dict(display or {})
    if len(display) > MAX_DISPLAY_FIELDS:
        _invalid("display", f"must have at most {MAX_DISPLAY_FIELDS} fields")
    for key, value in display.items():
        if not _DISPLAY_KEY.fullmatch(key) or not isinstance(value, str):
            _invalid("display", "field names are letters and digits; values are text")
        if len(value) > MAX_DISPLAY_TEXT:
            _invalid("display", f"values have at most {MAX_DISPLAY_TEXT} characters")
    return display


def check_moment(moment: datetime) -> datetime:
    """Aware, in UTC, to the millisecond: the precision every adapter keeps."""
    if moment.tzinfo is None:
        _invalid("achievedAt", "must carry a time zone")
    return from_millis(to_millis(moment))


def check_page(limit: int, offset: int) -> None:
    errors = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be from 1 to {MAX_LIMIT}"))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"must be from 0 to {MAX_OFFSET}"))
    if errors:
        raise InvalidLeaderboardRequestError(tuple(errors))


def check_around(k: int) -> None:
    if not 0 <= k <= MAX_AROUND:
        _invalid("k", f"must be from 0 to {MAX_AROUND}")


def _invalid(field_name: str, message: str) -> NoReturn:
    raise InvalidLeaderboardRequestError((FieldError(field_name, message),))
