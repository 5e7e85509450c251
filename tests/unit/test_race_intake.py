"""The one batch path of the race stream (``domain.races.intake``), as Lambda and the container
consumer both use it: admission, per-race storing, the retry point and the window buffer."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from adapters.memory.shared import InMemoryDeadLetters
from domain.races.intake import DeviceBatches, Undecodable, WindowBuffer
from domain.races.model import decode_message
from domain.shared.errors import UnavailableError
from tests.unit.test_race_handlers import FlakyRaceStore, World
from tests.unit.test_races import RULES, msg


class DeadLettersDown(InMemoryDeadLetters):
    async def send(self, source: str, payload: str, reason: str) -> None:
        raise UnavailableError("dead letters unreachable")


def payloads() -> list[bytes | Undecodable]:
    return [
        json.dumps(msg(1, 1), default=float).encode(),
        b"{oops",
        Undecodable("!!", "not base64"),
        json.dumps(msg(2, 1), default=float).encode(),
    ]


@pytest.fixture
def worlds() -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(*args: Any) -> World:
        made.append(World(*args))
        return made[-1]

    yield make
    for world in made:
        world.loop.close()


def test_poison_is_dead_lettered_with_its_reason_and_the_rest_admitted(
    worlds: Callable[..., World],
) -> None:
    world = worlds()
    batches = DeviceBatches(world.races, world.dead_letters)
    admitted = world.run(batches.admit(payloads()))
    assert [(i, m.racer_id) for i, m in admitted.messages] == [(0, 1), (3, 2)]
    assert admitted.stop == 4
    letters = world.dead_letters.letters
    assert [(p, r.split(":")[0]) for _, p, r in letters] == [
        (base64.b64encode(b"{oops").decode(), "not JSON"),
        ("!!", "not base64"),
    ]
    assert world.run(batches.store(admitted.messages)) == {0, 3}
    assert admitted.first_undone({0, 3}) == 4


def test_dead_letters_down_stop_the_batch_at_the_poison_record(
    worlds: Callable[..., World],
) -> None:
    world = worlds()
    batches = DeviceBatches(world.races, DeadLettersDown())
    admitted = world.run(batches.admit(payloads()))
    assert (len(admitted.messages), admitted.stop) == (1, 1)
    assert admitted.first_undone(world.run(batches.store(admitted.messages))) == 1


def test_an_unavailable_race_store_makes_its_earliest_message_the_retry_point(
    worlds: Callable[..., World],
) -> None:
    world = worlds(FlakyRaceStore(fail_at=2))
    other_class = json.dumps(msg(1, 1, classId=2), default=float).encode()
    batches = DeviceBatches(world.races, world.dead_letters)
    admitted = world.run(batches.admit([*payloads(), other_class]))
    stored = world.run(batches.store(admitted.messages))
    # Class 1's race (records 0 and 3) was stored; class 2's (record 4) was not.
    assert (stored, admitted.first_undone(stored)) == ({0, 3}, 4)


def test_the_window_buffer_survives_its_state_and_measures_it() -> None:
    messages = [
        decode_message(json.dumps(msg(r, s, cadence="80.25"), default=float), RULES)
        for r in range(3)
        for s in range(1, 4)
    ]
    buffer = WindowBuffer()
    buffer.add(messages[:4])
    buffer.add(messages[4:])
    state = buffer.state()
    assert buffer.size == len(state["pending"])
    again = WindowBuffer.from_state(json.loads(json.dumps(state)))
    # The uuid is not carried (no consumer reads it after admission).
    assert again.messages == [replace(m, uuid=None) for m in messages]
    assert again.messages[0].cadence == Decimal("80.25")
    assert WindowBuffer.from_state({}).size == len(WindowBuffer().state()["pending"]) == 2
