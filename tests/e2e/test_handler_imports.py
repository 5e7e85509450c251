"""Lean Lambda handlers: importing and invoking a handler, in a fresh interpreter as a Lambda
execution environment would, loads no module of another context (the shared kernel and the
leaderboard service aside), builds nothing at import, and logs with the request id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import base_env, run_script

EVENTS = Path(__file__).parent.parent / "events"
CONTEXTS = {"stocks", "leaderboards", "orders", "races", "trivia"}
# Imports the handler, checks that the import alone composed nothing, invokes it once and
# reports the answer (or the error it raised) and the project modules loaded.
INVOKE = """
import json, sys

class Context:
    aws_request_id = "0f1e2d3c-aaaa-bbbb-cccc-000000000002"
    function_name = "portside"
    def get_remaining_time_in_millis(self):
        return 30000

PROJECT = ("domain", "ports", "adapters", "entrypoints")
module, name, event = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
handler = getattr(__import__(module, fromlist=[name]), name)
contexts = ("stocks", "leaderboards", "orders", "races", "trivia")
composed_at_import = any(f"entrypoints.composition.{c}" in sys.modules for c in contexts)
try:
    answer = handler(event, Context())
except Exception as exc:  # an order task for no order, say: the modules are what counts
    answer = {"raised": type(exc).__name__}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in PROJECT)
print(json.dumps({"answer": answer, "loaded": loaded, "composed_at_import": composed_at_import}))
"""


def http_event(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "apigw_http_v2_get_stock.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"], event["queryStringParameters"] = "", {}
    return event


def event_file(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


ORDER_TASKS = [
    "place_order_handler", "update_inventory_handler", "make_payment_handler",
    "complete_order_handler", "fail_order_handler", "refund_payment_handler",
    "release_inventory_handler", "cancel_order_handler", "needs_attention_handler",
]  # fmt: skip
NO_ORDER = {"orderId": "none", "correlationId": None}
CASES = [
    ("entrypoints.aws_lambda.http_stocks", "handler", http_event("/stock/AMZN"), "stocks"),
    (
        "entrypoints.aws_lambda.http_leaderboards",
        "handler",
        http_event("/leaderboards/class-3"),
        "leaderboards",
    ),
    ("entrypoints.aws_lambda.http_orders", "handler", http_event("/inventory/ITEM001"), "orders"),
    ("entrypoints.aws_lambda.http_races", "handler", http_event("/classes/1/leaderboard"), "races"),
    (
        "entrypoints.aws_lambda.http_trivia",
        "handler",
        http_event("/.well-known/jwks.json"),
        "trivia",
    ),
    ("entrypoints.aws_lambda.orders", "recover_handler", {}, "orders"),
    ("entrypoints.aws_lambda.races", "sweep_handler", {}, "races"),
    (
        "entrypoints.aws_lambda.races",
        "aggregate_handler",
        event_file("kinesis_races_window.json"),
        "races",
    ),
    (
        "entrypoints.aws_lambda.races",
        "firehose_transform_handler",
        event_file("firehose_races.json"),
        "races",
    ),
    (
        "entrypoints.aws_lambda.races",
        "history_handler",
        event_file("s3_races_archive.json"),
        "races",
    ),
    (
        "entrypoints.aws_lambda.races",
        "publish_handler",
        {"Records": [{"dynamodb": {"SequenceNumber": "1", "NewImage": {"SK": {"S": "live"}}}}]},
        "races",
    ),
    (
        "entrypoints.aws_lambda.trivia",
        "score_handler",
        event_file("sns_trivia_score.json"),
        "trivia",
    ),
    (
        "entrypoints.aws_lambda.trivia",
        "progress_handler",
        event_file("sns_trivia_score.json"),
        "trivia",
    ),
    (
        "entrypoints.aws_lambda.trivia_avatars",
        "upload_handler",
        event_file("s3_avatar_upload.json"),  # an upload nobody asked for: removed
        "trivia",
    ),
    # The live games' WebSocket handlers refuse in-memory live state (the default here), after
    # importing what they need.
    *(
        (
            "entrypoints.aws_lambda.trivia_live",
            name,
            {"requestContext": {"connectionId": "c"}},
            "trivia",
        )
        for name in ("connect_handler", "disconnect_handler", "default_handler", "sweep_handler")
    ),
    # Every Step Functions task, for an order that does not exist (each raises
    # OrderNotFoundError, after importing what it needs).
    *(("entrypoints.aws_lambda.orders", name, NO_ORDER, "orders") for name in ORDER_TASKS),
]


def contexts_of(module: str) -> set[str]:
    return {part.removeprefix("http_") for part in module.split(".")} & CONTEXTS


def invoke(module: str, name: str, event: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    return run_script(INVOKE, [module, name, json.dumps(event)], env)


@pytest.mark.parametrize(
    ("module", "name", "event", "own"), CASES, ids=[f"{m}.{n}" for m, n, _, _ in CASES]
)
def test_a_handler_loads_only_its_own_context(
    module: str, name: str, event: dict[str, Any], own: str, tmp_path: Path
) -> None:
    env = {**base_env(), "AUTH_DEV_KEY_FILE": str(tmp_path / "key.pem")}
    report = invoke(module, name, event, env)
    assert report["composed_at_import"] is False
    if module.startswith("entrypoints.aws_lambda.http"):
        assert report["answer"]["statusCode"] == 200, report["answer"]
    elif module == "entrypoints.aws_lambda.orders" and name != "recover_handler":
        assert report["answer"] == {"raised": "OrderNotFoundError"}
    elif module == "entrypoints.aws_lambda.trivia_live":
        assert report["answer"] == {"raised": "ConfigurationError"}
    else:  # the native handlers answer their events (poison goes to the dead letters)
        assert "raised" not in report["answer"] or name == "history_handler", report["answer"]
    foreign = {
        m: contexts_of(m) - {own, "leaderboards"}
        for m in report["loaded"]
        if contexts_of(m) - {own, "leaderboards"}
    }
    assert foreign == {}
    assert any(own in contexts_of(m) for m in report["loaded"])  # the check can see a context


def test_the_all_routes_handler_builds_the_context_a_request_needs(tmp_path: Path) -> None:
    env = {**base_env(), "AUTH_DEV_KEY_FILE": str(tmp_path / "key.pem")}
    report = invoke("entrypoints.aws_lambda.http", "handler", http_event("/stock/AMZN"), env)
    assert report["answer"]["statusCode"] == 200
    assert set().union(*map(contexts_of, report["loaded"])) == {"stocks", "leaderboards"}
    # A path of no one context (health, docs, unknown) is served by the app of them all.
    report = invoke("entrypoints.aws_lambda.http", "handler", http_event("/healthz"), env)
    assert report["answer"]["statusCode"] == 200
    assert set().union(*map(contexts_of, report["loaded"])) >= CONTEXTS
