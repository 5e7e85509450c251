"""JSON logging: LOG_LEVEL governs uvicorn's loggers too, and --no-access-log holds."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from entrypoints.logs import configure_logging

UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def uvicorn_as_configured() -> Iterator[None]:
    """uvicorn's own logging set-up (its LOGGING_CONFIG sets INFO), restored afterwards."""
    saved = [(logging.getLogger(n).level, logging.getLogger(n).propagate) for n in UVICORN]
    for name in UVICORN:
        logging.getLogger(name).setLevel(logging.INFO)
    yield
    for name, (level, propagate) in zip(UVICORN, saved, strict=True):
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).propagate = propagate


def lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines()]


def test_uvicorn_lines_follow_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING")
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /healthz HTTP/1.1" 200')
    logging.getLogger("uvicorn.error").warning("Shutting down")
    assert [line["message"] for line in lines(capsys.readouterr().err)] == ["Shutting down"]


def test_no_access_log_keeps_access_lines_off(capsys: pytest.CaptureFixture[str]) -> None:
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False  # what `uvicorn --no-access-log` does
    configure_logging("INFO")
    access.info('127.0.0.1 - "GET /healthz HTTP/1.1" 200')
    logging.getLogger("uvicorn.error").info("Started server process")
    logged = lines(capsys.readouterr().err)
    assert [(line["logger"], line["message"]) for line in logged] == [
        ("uvicorn.error", "Started server process")
    ]
