"""The in-memory store's indexable skip list agrees with a sorted list, operation by operation."""

from __future__ import annotations

import bisect
import random

from adapters.memory.leaderboards import RankIndex


def test_random_operations_match_a_sorted_list() -> None:
    rng = random.Random(42)
    index, reference = RankIndex(), []
    for step in range(20_000):
        if reference and rng.random() < 0.4:
            key = reference.pop(rng.randrange(len(reference)))
            index.remove(key)
        else:
            key = (-rng.randrange(500), float(rng.randrange(10**6)), f"m{step}")
            bisect.insort(reference, key)
            index.insert(key)
        if step % 97 == 0:
            assert len(index) == len(reference)
            probe = (-rng.randrange(500), float("-inf"), "")
            assert index.count_below(probe) == bisect.bisect_left(reference, probe)
            start = rng.randrange(len(reference) + 1)
            assert list(index.iter_from(start))[:5] == reference[start : start + 5]
    assert list(index.iter_from(0)) == reference


def test_removing_an_absent_key_fails_loudly() -> None:
    index = RankIndex()
    index.insert((0, 0.0, "a"))
    try:
        index.remove((0, 0.0, "b"))
    except KeyError:
        pass
    else:
        raise AssertionError("expected KeyError")
    assert list(index.iter_from(0)) == [(0, 0.0, "a")]
