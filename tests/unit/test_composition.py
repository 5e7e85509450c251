"""The composition root: one selection rule, each context built alone from the settings it
declares, and Lambda handlers correlated by their request id."""

from __future__ import annotations

import dataclasses
import importlib
import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from domain.shared.correlation import correlation_id
from entrypoints.aws_lambda.environment import correlated
from entrypoints.composition import Composition
from entrypoints.composition.shared import Backend, backend
from entrypoints.logs import JsonFormatter, request_id
from entrypoints.settings import Settings
from tests.support.services import VAPID_KEY_FILE

CONFIGURED = Settings(
    stocks_table="stocks",
    leaderboards_table="boards",
    orders_table="orders",
    inventory_table="inventory",
    idempotency_table="keys",
    orders_topic_arn="arn:aws:sns:us-east-1:000000000000:orders",
    payments_api_url="http://127.0.0.1:9/payments",
    orders_state_machine_arn="arn:aws:states:us-east-1:000000000000:stateMachine:orders",
    dead_letter_queue_url="http://127.0.0.1:9/000000000000/dead",
    races_table="races",
    races_stream="races",
    history_bucket="history",
    trivia_table="trivia",
    trivia_topic_arn="arn:aws:sns:us-east-1:000000000000:trivia",
    auth_jwks_url="http://127.0.0.1:9/jwks.json",
    auth_issuer="issuer",
    auth_audience="audience",
    aws_endpoint_url="http://127.0.0.1:9",
    rates_api_url="http://127.0.0.1:9/rates",
    redis_url="redis://127.0.0.1:9/0",
)
# A context's parts and the composition modules whose READS it may use.
PARTS = {
    "stocks": (("stocks",), ("stocks",)),
    "leaderboards": (("leaderboards",), ("leaderboards",)),
    "orders": (("orders", "order_saga"), ("orders",)),
    "races": (("races", "race_stream"), ("races", "leaderboards")),
    "trivia": (
        ("trivia", "market", "tokens", "dev_identity", "profiles", "notifier"),
        ("trivia", "trivia_profiles", "leaderboards"),
    ),
}
#: Every composition module with settings of its own.
MODULES = {"shared", *(m for _, modules in PARTS.values() for m in modules)}


class RecordingSettings:
    """Settings that note every field read."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._settings, name)


def test_the_selection_rule() -> None:
    redis = Settings(redis_url="redis://127.0.0.1:9/0")
    assert backend("table", redis, redis=True) is Backend.AWS
    assert backend(None, redis, redis=True) is Backend.REDIS
    assert backend(None, redis) is Backend.MEMORY  # a port without a Redis adapter
    assert backend(None, Settings(), redis=True) is Backend.MEMORY


@pytest.mark.parametrize("configured", [False, True], ids=["embedded", "configured"])
@pytest.mark.parametrize("context", sorted(PARTS))
def test_a_context_is_built_alone_from_the_settings_it_declares(
    context: str, configured: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # boto3 reads its own; no call made
    embedded = Settings(vapid_key_file=str(VAPID_KEY_FILE))
    settings = RecordingSettings(CONFIGURED if configured else embedded)
    composition = Composition(settings)  # type: ignore[arg-type]
    parts, modules = PARTS[context]
    for part in parts:
        getattr(composition, part)
    declared = set(importlib.import_module("entrypoints.composition.shared").READS)
    for module in modules:
        declared |= set(importlib.import_module(f"entrypoints.composition.{module}").READS)
    assert settings.read <= declared
    assert settings.read  # the recording sees reads
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert declared <= fields
    others = {p for c, (ps, _) in PARTS.items() if c != context and c != "leaderboards" for p in ps}
    assert others.isdisjoint(vars(composition))  # nothing of another context was built


def test_every_setting_is_declared_by_some_composition_module() -> None:
    declared: set[str] = set()
    for module in MODULES:
        declared |= set(importlib.import_module(f"entrypoints.composition.{module}").READS)
    # The log level is read by each entrypoint, the shard count by provisioning only.
    unread = {"log_level", "races_stream_shards"}
    assert declared | unread == {f.name for f in dataclasses.fields(Settings)}


def test_a_part_given_before_first_use_replaces_what_would_be_built() -> None:
    composition = Composition(Settings())
    given = object()
    composition.dead_letters = given  # type: ignore[assignment]
    assert composition.dead_letters is given


def test_lambda_handlers_log_with_the_request_id_as_the_correlation_id() -> None:
    seen: list[dict[str, Any]] = []
    formatter = JsonFormatter()

    @correlated
    def handler(event: dict[str, Any], context: Any) -> None:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        seen.append(json.loads(formatter.format(record)))

    handler({}, SimpleNamespace(aws_request_id="req-1"))
    handler({}, None)
    assert [(line.get("requestId"), line.get("correlationId")) for line in seen] == [
        ("req-1", "req-1"),
        (None, None),
    ]
    assert request_id.get() is None
    assert correlation_id.get() is None


def test_the_readme_lists_what_each_context_reads() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("<!-- reads -->")[1].split("<!-- /reads -->")[0]
    rows = {
        line.split("|")[1].strip().split("`")[1]: line.split("|")[2]
        for line in table.strip().splitlines()[2:]
    }
    assert set(rows) == MODULES
    for module, cell in rows.items():
        reads = importlib.import_module(f"entrypoints.composition.{module}").READS
        assert {v.strip(" `") for v in cell.split(",")} == {r.upper() for r in reads}
