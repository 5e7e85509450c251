"""Structured JSON log lines carrying the current request's id and its correlation id."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from domain.shared.correlation import correlation_id

#: The id of the request or Lambda invocation being served, if any.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            line["requestId"] = rid
        cid = correlation_id.get()
        if cid is not None:
            line["correlationId"] = cid  # the request's own id, or the one its work came from
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class QueryStringFilter(logging.Filter):
    """Drops the query string of every path uvicorn logs: a WebSocket's carries its ticket
    (``/ws/trivia?ticket=``), and URLs end up in log stores that outlive any ticket."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("uvicorn") and isinstance(record.args, tuple):
            record.args = tuple(
                a.partition("?")[0] if isinstance(a, str) and a.startswith("/") else a
                for a in record.args
            )
        return True


def configure_logging(level: str) -> None:
    """Send every log record, uvicorn's included, as one JSON line to stderr, never with a
    logged path's query string."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(QueryStringFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if name == "uvicorn.access" and not logger.propagate:
            continue  # ``uvicorn --no-access-log`` turned access lines off: they stay off
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)  # LOG_LEVEL decides, not uvicorn's own INFO
