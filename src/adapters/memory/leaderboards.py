"""In-memory leaderboard store: O(log n) per operation, safe to share between threads."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from domain.leaderboards.errors import BoardNotFoundError
from domain.leaderboards.model import (
    Board,
    Entry,
    Page,
    Policy,
    RankedEntry,
    SubmitResult,
    apply_policy,
    ranked,
    to_cents,
)
from domain.shared.time import to_millis

# Board order as an ascending key: higher score first, then earlier achievement, then member.
_Key = tuple[int, float, str]


def _key(entry: Entry) -> _Key:
    return (-to_cents(entry.score), to_millis(entry.achieved_at), entry.member)


def _above(score: Decimal) -> _Key:
    """A key below every entry with this score: keys less than it score strictly higher."""
    return (-to_cents(score), float("-inf"), "")


class _Node:
    __slots__ = ("forward", "key", "span")

    def __init__(self, key: _Key | None, levels: int) -> None:
        self.key = key
        self.forward: list[_Node | None] = [None] * levels
        # span[i]: how many positions the level-i link skips (to the end when it is None).
        self.span = [0] * levels


class RankIndex:
    """An indexable skip list of keys (the structure behind Redis's sorted sets).

    insert, remove, count_below and the position lookup each take O(log n) expected time.
    """

    MAX_LEVEL = 32

    def __init__(self) -> None:
        self._head = _Node(None, self.MAX_LEVEL)
        self._level = 1
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def _path(self, key: _Key) -> tuple[list[_Node], list[int]]:
        """The last node before ``key`` on each level, and its position."""
        update = [self._head] * self.MAX_LEVEL
        rank = [0] * self.MAX_LEVEL
        node = self._head
        for i in reversed(range(self._level)):
            rank[i] = rank[i + 1] if i + 1 < self._level else 0
            while (nxt := node.forward[i]) is not None and nxt.key is not None and nxt.key < key:
                rank[i] += node.span[i]
                node = nxt
            update[i] = node
        return update, rank

    def insert(self, key: _Key) -> None:
        update, rank = self._path(key)
        level = 1
        while level < self.MAX_LEVEL and random.random() < 0.25:
            level += 1
        if level > self._level:
            for i in range(self._level, level):
                rank[i] = 0
                update[i] = self._head
                self._head.span[i] = self._size
            self._level = level
        node = _Node(key, level)
        for i in range(level):
            node.forward[i] = update[i].forward[i]
            update[i].forward[i] = node
            node.span[i] = update[i].span[i] - (rank[0] - rank[i])
            update[i].span[i] = rank[0] - rank[i] + 1
        for i in range(level, self._level):
            update[i].span[i] += 1
        self._size += 1

    def remove(self, key: _Key) -> None:
        update, _ = self._path(key)
        node = update[0].forward[0]
        if node is None or node.key != key:
            raise KeyError(key)
        for i in range(self._level):
            if update[i].forward[i] is node:
                update[i].span[i] += node.span[i] - 1
                update[i].forward[i] = node.forward[i]
            else:
                update[i].span[i] -= 1
        while self._level > 1 and self._head.forward[self._level - 1] is None:
            self._level -= 1
        self._size -= 1

    def count_below(self, key: _Key) -> int:
        """How many keys are less than ``key``."""
        return self._path(key)[1][0]

    def iter_from(self, position: int) -> Iterator[_Key]:
        """Keys in order from the 0-based ``position``."""
        if position >= self._size:
            return
        traversed, node = 0, self._head
        for i in reversed(range(self._level)):
            while (nxt := node.forward[i]) is not None and traversed + node.span[i] <= position + 1:
                traversed += node.span[i]
                node = nxt
        current: _Node | None = node
        while current is not None and current.key is not None:
            yield current.key
            current = current.forward[0]


@dataclass
class _BoardState:
    board: Board
    index: RankIndex = field(default_factory=RankIndex)
    entries: dict[str, Entry] = field(default_factory=dict)

    def rank_of(self, entry: Entry) -> int:
        return 1 + self.index.count_below(_above(entry.score))

    def ranked_from(self, position: int, count: int) -> list[RankedEntry]:
        entries: list[Entry] = []
        for key in self.index.iter_from(position):
            if len(entries) == count:
                break
            entries.append(self.entries[key[2]])
        if not entries:
            return []
        return ranked(entries, self.rank_of(entries[0]), position + 1)


class InMemoryLeaderboardStore:
    """LeaderboardStore in process memory; the embedded default and the unit-test fake."""

    def __init__(self) -> None:
        self._boards: dict[str, _BoardState] = {}
        # One lock for all boards: adapters may be shared by threads (each with its own loop).
        self._lock = threading.Lock()

    def _state(self, board: Board) -> _BoardState:
        state = self._boards.get(board.key)
        if state is None:
            raise BoardNotFoundError(board.key)
        return state

    def seed(self, board: Board, entries: Sequence[Entry]) -> None:
        """Create a board holding these entries, synchronously (demo data at start-up)."""
        with self._lock:
            state = self._boards.setdefault(board.key, _BoardState(board))
            for entry in entries:
                state.entries[entry.member] = entry
                state.index.insert(_key(entry))

    async def create_board(self, board: Board) -> Board:
        with self._lock:
            return self._boards.setdefault(board.key, _BoardState(board)).board

    async def get_board(self, key: str) -> Board | None:
        state = self._boards.get(key)
        return None if state is None else state.board

    async def submit(self, board: Board, entries: Sequence[Entry]) -> list[SubmitResult]:
        results = []
        with self._lock:
            state = self._state(board)
            for submitted in entries:
                current = state.entries.get(submitted.member)
                new = apply_policy(state.board.policy, current, submitted)
                if new is None:
                    assert current is not None
                    results.append(SubmitResult(False, current))
                    continue
                if current is not None:
                    state.index.remove(_key(current))
                state.index.insert(_key(new))
                state.entries[new.member] = new
                results.append(SubmitResult(True, new))
        return results

    async def page(self, board: Board, limit: int, offset: int, member: str | None) -> Page:
        with self._lock:
            state = self._state(board)
            entries = state.ranked_from(offset, limit)
            me = self._rank_of(state, member) if member is not None else None
            return Page(board.key, entries, me, len(state.index))

    async def rank_of(self, board: Board, member: str) -> RankedEntry | None:
        with self._lock:
            return self._rank_of(self._state(board), member)

    @staticmethod
    def _rank_of(state: _BoardState, member: str) -> RankedEntry | None:
        entry = state.entries.get(member)
        return None if entry is None else RankedEntry(state.rank_of(entry), entry)

    async def around(self, board: Board, member: str, k: int) -> list[RankedEntry] | None:
        with self._lock:
            state = self._state(board)
            entry = state.entries.get(member)
            if entry is None:
                return None
            position = state.index.count_below(_key(entry))
            start = max(0, position - k)
            return state.ranked_from(start, position - start + k + 1)

    async def count(self, board: Board) -> int:
        with self._lock:
            return len(self._state(board).index)

    async def remove(self, board: Board, member: str) -> bool:
        with self._lock:
            state = self._state(board)
            entry = state.entries.pop(member, None)
            if entry is None:
                return False
            state.index.remove(_key(entry))
            return True


#: The demo board of the embedded default: a class leaderboard with a tie for second place.
DEMO_BOARD = Board("class-3", Policy.BEST)
_DEMO_START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DEMO_ENTRIES: tuple[Entry, ...] = tuple(
    Entry(f"racer-{n}", Decimal(score), _DEMO_START + timedelta(minutes=minute), {"name": name})
    for n, score, minute, name in (
        (101, "9125.40", 12, "Ada"), (102, "8790.15", 3, "Grace"), (103, "8790.15", 7, "Linus"),
        (104, "8402.00", 1, "Barbara"), (105, "7988.75", 9, "Ken"), (106, "7520.30", 4, "Margaret"),
        (107, "7105.60", 15, "Dennis"), (108, "6890.05", 2, "Radia"), (109, "6890.05", 11, "Guido"),
        (110, "6301.90", 6, "Frances"), (111, "5977.45", 8, "Edsger"), (112, "5410.20", 5, "Alan"),
    )
)  # fmt: skip
