"""Real services on free loopback ports, started as processes and stopped by PID.

Used by the test session (tests/conftest.py) and by the benchmarks (bench/).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Block until something accepts connections on the port; fail if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout} s")


@dataclass
class Service:
    """A started process listening on a loopback port."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path | None = None
    terminated: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def terminate(self) -> None:
        """Send SIGTERM once (a second one makes uvicorn skip its graceful shutdown)."""
        if not self.terminated and self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        self.terminated = True

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM by PID, then SIGKILL if it lingers; returns the exit code."""
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout)
        return self.process.returncode

    def stop_gracefully(self) -> str:
        """SIGTERM, and check the server shut down cleanly; returns its log.

        uvicorn re-raises the SIGTERM it caught once shutdown is complete, so a clean stop
        exits by that signal (or 0), after the app's lifespan shutdown has run.
        """
        code = self.stop()
        text = self.log.read_text() if self.log else ""
        assert code in (0, -signal.SIGTERM), f"exit {code}:\n{text}"
        assert "Application shutdown complete." in text, text
        return text


def start_redis() -> Service:
    """A throw-away redis-server: no persistence, loopback only."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: run `apt-get install -y redis-server` "
            "(the README's test command does); the tests use a real Redis, never a fake."
        )
    port = free_port()
    args = [binary, "--bind", LOOPBACK, "--port", str(port), "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process, timeout=10)
    return Service(process, port)


# moto_server's own command serves requests on threads, and its conditional writes are not
# atomic under concurrent requests; serving one request at a time makes each atomic, as in AWS.
_MOTO_ONE_AT_A_TIME = """
import copy
import sys
import types

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend, Table
from moto.kinesis.models import Shard
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

# moto's Kinesis shard finds its last sequence number by listing every key, once per record
# put: quadratic over a 300,000-message race. The last key of the same ordered dict is the
# same number in O(1).
Shard.get_max_sequence_number = lambda self: next(reversed(self.records), 0)

# moto's TransactWriteItems backs up a whole table once per item of the transaction, all
# before any write: up to 100 identical deep copies. One copy per table is the same backup.
_transact = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    backups = {}

    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            if id(value) not in backups:
                backups[id(value)] = copy.deepcopy(value)
            return backups[id(value)]
        return copy.deepcopy(value, memo)

    dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy)
    try:
        return _transact(self, transact_items)
    finally:
        dynamodb_models.copy = copy


DynamoDBBackend.transact_write_items = transact_write_items
app = DomainDispatcherApplication(create_backend_app)
run_simple(sys.argv[1], int(sys.argv[2]), app, threaded=False)
"""


def start_moto() -> Service:
    """moto in server mode: the AWS wire protocol over real HTTP on loopback."""
    port = free_port()
    args = [sys.executable, "-c", _MOTO_ONE_AT_A_TIME, LOOPBACK, str(port)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process, timeout=30)
    return Service(process, port)


def aws_test_env(endpoint_url: str) -> dict[str, str]:
    """Environment pointing boto3 at an endpoint (a moto server) with dummy credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def trivia_table(aws_env: dict[str, str]) -> tuple[Any, str]:
    """A DynamoDB client and a new table of the trivia layout on ``aws_env``'s moto_server,
    as ``portside init-aws`` makes ``TRIVIA_TABLE``."""
    import uuid

    from adapters.dynamodb.leaderboards import create_leaderboard_table

    client = dynamodb_client(aws_env)
    table = f"trivia-live-{uuid.uuid4().hex[:8]}"
    create_leaderboard_table(client, table)
    return client, table


def dynamodb_client(aws_env: dict[str, str]) -> Any:
    """A boto3 DynamoDB client for the endpoint and credentials of ``aws_test_env``."""
    return boto_client("dynamodb", aws_env)


def boto_client(service: str, aws_env: dict[str, str]) -> Any:
    """A boto3 client of ``service`` for the endpoint and credentials of ``aws_test_env``."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,  # type: ignore[call-overload]
        config=Config(signature_version="s3v4" if service == "s3" else None),
        endpoint_url=aws_env["AWS_ENDPOINT_URL"],
        region_name=aws_env["AWS_DEFAULT_REGION"],
        aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
    )


# One development signing key for every process the test session starts (serve, dev-token),
# outside the user's home.
DEV_KEY_FILE = Path(tempfile.gettempdir()) / f"portside-tests-{os.getpid()}" / "dev-key.pem"
VAPID_KEY_FILE = DEV_KEY_FILE.with_name("vapid-key.pem")


def base_env(**settings: str) -> dict[str, str]:
    """A minimal environment for a child process: nothing of the caller's configuration leaks."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "AUTH_DEV_KEY_FILE": str(DEV_KEY_FILE),
        "VAPID_KEY_FILE": str(VAPID_KEY_FILE),
    }
    env.update(settings)
    return env


def run_script(script: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``python -c script args...`` in a fresh interpreter (a Lambda execution
    environment, say) and return the JSON report it prints last."""
    import json

    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def start_portside(env: dict[str, str], *args: str) -> tuple[Service, str]:
    """``portside serve`` as a subprocess on a free loopback port; returns it and its URL."""
    port = free_port()
    command = [str(BIN / "portside"), "serve", "--host", LOOPBACK, "--port", str(port), *args]
    return start_logged(command, port, env), f"http://{LOOPBACK}:{port}"


def start_container(env: dict[str, str], *args: str) -> tuple[Service, str]:
    """The container entry (``entrypoints.container.asgi:app``, the Dockerfile's command)
    under uvicorn on a free loopback port, access lines off; ``args``: more uvicorn options
    (``--workers 2``). Returns it and its URL."""
    port = free_port()
    command = [str(BIN / "uvicorn"), "entrypoints.container.asgi:app",
               "--host", LOOPBACK, "--port", str(port), "--no-access-log", *args]  # fmt: skip
    return start_logged(command, port, env), f"http://{LOOPBACK}:{port}"


def start_logged(command: list[str], port: int, env: dict[str, str]) -> Service:
    """Start a server process whose output goes to a log file (a pipe could fill and block it)."""
    with tempfile.NamedTemporaryFile("wb", prefix="portside-", suffix=".log", delete=False) as f:
        log = Path(f.name)
        process = subprocess.Popen(command, env=env, stdout=f, stderr=subprocess.STDOUT)
    wait_for_port(port, process, timeout=30)
    return Service(process, port, log)


def run_portside(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a ``portside`` command to completion and capture its output."""
    command = [str(BIN / "portside"), *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


class LoopbackServer:
    """A threaded HTTP server on a free loopback port, run in a daemon thread (a context
    manager). Subclasses give the request handler class."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer((LOOPBACK, 0), handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
