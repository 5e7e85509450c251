"""``entrypoints.aws_lambda.http.handler`` invoked with real API Gateway v1 and v2 events.

Each case runs in a fresh interpreter, as a Lambda execution environment would: configuration
is read on the first invocation, and what the handler loads can be checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import base_env, run_script, start_portside

EVENTS = Path(__file__).parent.parent / "events"
V1 = EVENTS / "apigw_rest_v1_get_stock.json"
V2 = EVENTS / "apigw_http_v2_get_stock.json"

# Imports the handler module, invokes it once per event file, and reports the responses and
# which vendor SDKs were pulled in.
INVOKE = """
import json, sys

class Context:
    aws_request_id = "0f1e2d3c-aaaa-bbbb-cccc-000000000001"
    function_name = "portside-http"
    def get_remaining_time_in_millis(self):
        return 30000

from entrypoints.aws_lambda.http import handler
responses = [handler(json.load(open(path)), Context()) for path in sys.argv[1:]]
loaded = sorted(m for m in ("boto3", "botocore", "redis", "httpx") if m in sys.modules)
print(json.dumps({"loaded": loaded, "responses": responses}))
"""


def invoke(env: dict[str, str], *events: Path) -> dict[str, Any]:
    return run_script(INVOKE, [str(e) for e in events], env)


@pytest.fixture(scope="module")
def server(stack_env: dict[str, str]) -> Iterator[str]:
    process, url = start_portside(stack_env)
    yield url
    process.stop_gracefully()


def test_v1_and_v2_events_give_the_server_s_body(
    stack_env: dict[str, str], server: str, provider: FakeRatesServer
) -> None:
    report = invoke(stack_env, V1, V2)
    v1, v2 = report["responses"]
    assert v1["statusCode"] == v2["statusCode"] == 200
    assert v1["isBase64Encoded"] is v2["isBase64Encoded"] is False
    assert (
        json.loads(v1["body"])
        == json.loads(v2["body"])
        == {
            "stock": "AMZN",
            "base": "EUR",
            "values": {"EUR": "172.35", "USD": "225.78", "JPY": "28164", "KWD": "57.082"},
            "ratesAsOf": "2026-11-20",
            "stale": False,
        }
    )
    over_http = httpx.get(f"{server}/stock/AMZN?currencies=USD,JPY,KWD")
    assert json.loads(v2["body"]) == over_http.json()
    assert report["loaded"] == ["boto3", "botocore", "httpx", "redis"]


def test_the_lambda_request_id_is_the_correlation_id(stack_env: dict[str, str]) -> None:
    (response,) = invoke(stack_env, V2)["responses"]
    assert response["headers"]["x-request-id"] == "0f1e2d3c-aaaa-bbbb-cccc-000000000001"


def test_embedded_default_imports_no_vendor_sdk(tmp_path: Path) -> None:
    report = invoke(base_env(), V1, V2)
    assert report["loaded"] == []
    for response in report["responses"]:
        assert response["statusCode"] == 200
        assert response["isBase64Encoded"] is False
        # 172.35 EUR x the demo rates 1.0823, 163.41, 0.3312
        assert json.loads(response["body"])["values"] == {
            "EUR": "172.35", "USD": "186.53", "JPY": "28164", "KWD": "57.082"
        }  # fmt: skip
    unknown = json.loads(V2.read_text())
    unknown["rawPath"] = unknown["requestContext"]["http"]["path"] = "/stock/NOPE"
    (tmp_path / "unknown.json").write_text(json.dumps(unknown))
    (response,) = invoke(base_env(), tmp_path / "unknown.json")["responses"]
    assert response["statusCode"] == 404
    assert response["isBase64Encoded"] is False
    assert response["headers"]["content-type"] == "application/problem+json"
    assert json.loads(response["body"])["type"] == "/problems/stock-not-found"
