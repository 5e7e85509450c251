"""The container entry, run under uvicorn exactly as the Dockerfile's CMD runs it.

No Docker engine runs here, so the image is not built: the CMD and HEALTHCHECK lines are read
from the Dockerfile and run as they are, with only the listen address moved to loopback and a
free port.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import BIN, LOOPBACK, base_env, free_port, start_logged

DOCKERFILE = Path(__file__).parents[2] / "Dockerfile"


def instruction(name: str) -> list[str]:
    """The exec-form JSON array of the Dockerfile instruction (continuation lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith(f"{name} "))
    exec_form = line[line.index("[") :] if name == "CMD" else line[line.index("CMD") + 4 :]
    parsed: list[str] = json.loads(exec_form)
    return parsed


def on_loopback(command: list[str], port: int) -> list[str]:
    return [
        {"0.0.0.0": LOOPBACK, "8000": str(port)}.get(arg, arg).replace(
            "127.0.0.1:8000", f"{LOOPBACK}:{port}"
        )
        for arg in command
    ]


def test_image_is_slim_non_root_and_health_checked() -> None:
    text = DOCKERFILE.read_text()
    assert text.startswith("#")
    assert "\nFROM python:3.11-slim\n" in text
    assert "\nUSER portside\n" in text
    assert instruction("CMD")[0] == "uvicorn"


def test_cmd_serves_and_shuts_down_gracefully_on_sigterm() -> None:
    port = free_port()
    command = on_loopback(instruction("CMD"), port)
    command[0] = str(BIN / command[0])
    with FakeRatesServer() as provider:
        provider.delay = 1.5  # keeps a request in flight while SIGTERM arrives
        env = base_env(RATES_API_URL=provider.url)
        server = start_logged(command, port, env)
        url = f"http://{LOOPBACK}:{port}"
        health = on_loopback(instruction("HEALTHCHECK"), port)
        health[0] = str(BIN / "python")
        assert subprocess.run(health, env=env, timeout=10, check=False).returncode == 0

        in_flight: list[httpx.Response] = []
        request = threading.Thread(
            target=lambda: in_flight.append(
                httpx.get(f"{url}/stock/AMZN?currencies=USD", timeout=10)
            )
        )
        request.start()
        time.sleep(0.5)  # the request is now waiting on the slow provider
        server.terminate()
        request.join(10)
        log = server.stop_gracefully()

    assert [r.status_code for r in in_flight] == [200]
    assert in_flight[0].json()["values"]["USD"] == "225.78"  # 172.35 x 1.31
    assert "Shutting down" in log
    assert "GET /stock/AMZN" not in log  # the CMD's --no-access-log holds under JSON logging
