"""Live boards to browsers through AWS IoT Core (MQTT over WebSockets on the client side)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from adapters.boto import call
from domain.races.errors import RaceStoreUnavailableError
from domain.races.model import LiveRace, live_snapshot

if TYPE_CHECKING:
    from mypy_boto3_iot_data.client import IoTDataPlaneClient


class IoTLiveNotifier:
    """LiveNotifier publishing each board to ``<topic>/<classId>`` (QoS 0: a newer board
    follows within the second, so a lost one is not re-sent)."""

    def __init__(self, client: IoTDataPlaneClient, topic: str) -> None:
        self._client = client
        self._topic = topic

    async def publish(self, race: LiveRace) -> None:
        payload = json.dumps(live_snapshot(race), separators=(",", ":"))
        await call(
            RaceStoreUnavailableError,
            "live topic publish",
            self._client.publish,
            topic=f"{self._topic}/{race.class_id}",
            qos=0,
            payload=payload,
        )
