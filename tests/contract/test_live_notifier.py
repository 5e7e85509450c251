"""LiveNotifier contract: in memory, and IoT Core's data-plane HTTP API (a loopback endpoint
standing in for IoT Core: moto accepts publishes but offers no way to read them back)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from adapters.memory.races import InMemoryLiveNotifier
from domain.races.errors import RaceStoreUnavailableError
from domain.races.model import DeviceMessage, LiveRace, RaceRules, live_snapshot
from ports.races import LiveNotifier
from tests.support.services import LoopbackServer, aws_test_env, boto_client

pytestmark = pytest.mark.anyio


class FakeIoTData(LoopbackServer):
    """``POST /topics/{topic}?qos=N`` of the IoT data plane, recording what was published."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, bytes]] = []
        self.failing = False
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if fake.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                with fake._lock:
                    topic = unquote(url.path.removeprefix("/topics/"))
                    fake.published.append((topic, parse_qs(url.query)["qos"][0], body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                return

        super().__init__(Handler)


Published = Callable[[], list[tuple[int, int, dict[str, Any]]]]


@pytest.fixture(params=["memory", "iot"])
def notifier(request: pytest.FixtureRequest) -> Iterator[tuple[LiveNotifier, Published]]:
    if request.param == "memory":
        memory = InMemoryLiveNotifier()
        yield (
            memory,
            lambda: [(c, r, live_snapshot(race)) for (c, r), race in memory.latest.items()],
        )
        return
    from adapters.iot.races import IoTLiveNotifier

    with FakeIoTData() as iot:
        client = boto_client("iot-data", aws_test_env(iot.url))

        def published() -> list[tuple[int, int, dict[str, Any]]]:
            assert all(qos == "0" for _, qos, _ in iot.published)
            assert all(
                t == f"alleycat-subscribe/{json.loads(b)['classId']}" for t, _, b in iot.published
            )
            latest = {}
            for _, _, body in iot.published:
                board = json.loads(body)
                latest[(board["classId"], board["raceId"])] = board
            return [(c, r, board) for (c, r), board in latest.items()]

        yield IoTLiveNotifier(client, "alleycat-subscribe"), published


def a_race(second: int) -> LiveRace:
    race = LiveRace(3, 42)
    for s in range(1, second + 1):
        race.count(DeviceMessage(3, 42, 7, s, Decimal(80), Decimal(78), name="Ada"), RaceRules())
    return race


async def test_the_latest_board_of_each_race_reaches_watchers(
    notifier: tuple[LiveNotifier, Published],
) -> None:
    live, published = notifier
    await live.publish(a_race(1))
    await live.publish(a_race(2))
    ((class_id, race_id, board),) = published()
    assert (class_id, race_id) == (3, 42)
    assert board == live_snapshot(a_race(2))
    assert board["racers"] == [
        {"rank": 1, "racerId": 7, "name": "Ada", "total": "328.90", "output": "164.45"}
    ]


async def test_an_unreachable_iot_endpoint_is_reported() -> None:
    from adapters.iot.races import IoTLiveNotifier

    with FakeIoTData() as iot:
        iot.failing = True
        client = boto_client("iot-data", aws_test_env(iot.url))
        with pytest.raises(RaceStoreUnavailableError):
            await IoTLiveNotifier(client, "alleycat-subscribe").publish(a_race(1))
