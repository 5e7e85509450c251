"""(c) Lambda cold starts: the HTTP handlers (all routes, and stocks alone) vs a minimal
FastAPI + Mangum app; a stream handler and a trivia handler vs minimal handlers of their kind.

Each sample is a fresh interpreter that imports the handler module and serves one event (an
HTTP API v2 request, a Kinesis batch, an SNS delivery); the time from before the import to
the answer is measured inside the process (interpreter start-up and teardown are left out,
as Lambda's init does not pay them twice). Samples of all cases alternate so machine noise
hits them alike; medians are compared.

    python -m bench.cold_start [--samples 11]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fake_rates import FakeRatesServer
from tests.support.services import (
    LOOPBACK,
    aws_test_env,
    base_env,
    run_portside,
    start_moto,
    start_redis,
)

ROOT = Path(__file__).parents[1]
EVENTS = ROOT / "tests" / "events"
HTTP = EVENTS / "apigw_http_v2_get_stock.json"
SNS = EVENTS / "sns_trivia_score.json"

SAMPLE = """
import json, sys, time
start = time.perf_counter()
module, name = sys.argv[1].rsplit(":", 1)
handler = getattr(__import__(module, fromlist=[name]), name)
answer = handler(json.load(open(sys.argv[2])), None)
elapsed = time.perf_counter() - start
assert answer.get("statusCode", 200) == 200, answer
assert answer.get("batchItemFailures") in (None, []), answer
print(json.dumps({"ms": elapsed * 1000, "modules": len(sys.modules)}))
"""

MINIMAL_HTTP = "minimal FastAPI + Mangum"
MINIMAL_STREAM = "minimal Kinesis handler"
MINIMAL_SNS = "minimal SNS handler"


def sample(handler: str, event: Path, env: dict[str, str]) -> tuple[float, int]:
    command = [sys.executable, "-c", SAMPLE, handler, str(event)]
    out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["ms"], result["modules"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=11)
    args = parser.parse_args()
    env = base_env()
    moto, redis = start_moto(), start_redis()
    with FakeRatesServer() as provider:
        try:
            # Every adapter configured against real local services, the table already made.
            configured = base_env(
                STOCKS_TABLE="stocks",
                RATES_API_URL=provider.url,
                REDIS_URL=f"redis://{LOOPBACK}:{redis.port}/0",
                **aws_test_env(f"http://{LOOPBACK}:{moto.port}"),
            )
            made = run_portside(configured, "init-aws", "--demo-data")
            assert made.returncode == 0, made.stderr
            report(args.samples, env, configured)
        finally:
            moto.stop()
            redis.stop()


def kinesis_event(folder: Path, racers: int = 100) -> Path:
    """One second of the race now running in class 1, as Kinesis hands it to the handler."""
    race_id = int(time.time() * 1000) // (300 * 1000)
    records = [
        {
            "kinesis": {
                "partitionKey": f"race-1-{race_id}",
                "sequenceNumber": f"{n + 1:056d}",
                "data": base64.b64encode(json.dumps({
                    "classId": 1, "raceId": race_id, "racerId": n + 1, "second": 1,
                    "event": "update", "cadence": 80, "resistance": 40, "name": f"Racer {n + 1}",
                }).encode()).decode(),
                "approximateArrivalTimestamp": time.time(),
            },
            "eventSource": "aws:kinesis",
            "eventID": f"shardId-000000000000:{n + 1:056d}",
        }
        for n in range(racers)
    ]  # fmt: skip
    path = folder / "kinesis.json"
    path.write_text(json.dumps({"Records": records}))
    return path


def health_event(folder: Path) -> Path:
    """``GET /healthz``: a path of no one context, which the all-routes handler serves with
    the app of every context (so its cold start builds them all, as before issue 12)."""
    event = json.loads(HTTP.read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/healthz"
    event["rawQueryString"], event["queryStringParameters"] = "", {}
    path = folder / "healthz.json"
    path.write_text(json.dumps(event))
    return path


def report(samples: int, env: dict[str, str], configured: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        events = kinesis_event(Path(folder)), health_event(Path(folder))
        _report(samples, env, configured, *events)


def _report(
    samples: int, env: dict[str, str], configured: dict[str, str], kinesis: Path, health: Path
) -> None:
    # name: (handler, event, environment, the baseline it is compared with, target)
    cases: dict[str, tuple[str, Path, dict[str, str], str, float | None]] = {
        MINIMAL_HTTP: ("bench.minimal_lambda_app:handler", HTTP, env, MINIMAL_HTTP, None),
        "http_stocks, embedded default": (
            "entrypoints.aws_lambda.http_stocks:handler", HTTP, env, MINIMAL_HTTP, 1.15,
        ),
        "http (all routes), embedded default": (
            "entrypoints.aws_lambda.http:handler", HTTP, env, MINIMAL_HTTP, 1.3,
        ),
        "http (all routes), first request /healthz": (
            "entrypoints.aws_lambda.http:handler", health, env, MINIMAL_HTTP, None,
        ),
        "http (all routes), DynamoDB + HTTP + Redis": (
            "entrypoints.aws_lambda.http:handler", HTTP, configured, MINIMAL_HTTP, None,
        ),
        MINIMAL_STREAM: (
            "bench.minimal_handlers:stream_handler", kinesis, env, MINIMAL_STREAM, None,
        ),
        "races.aggregate_handler, embedded default": (
            "entrypoints.aws_lambda.races:aggregate_handler", kinesis, env, MINIMAL_STREAM, None,
        ),
        MINIMAL_SNS: ("bench.minimal_handlers:sns_handler", SNS, env, MINIMAL_SNS, None),
        "trivia.score_handler, embedded default": (
            "entrypoints.aws_lambda.trivia:score_handler", SNS, env, MINIMAL_SNS, None,
        ),
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in cases}
    modules: dict[str, int] = {}
    for handler, event, case_env, _, _ in cases.values():
        sample(handler, event, case_env)  # warm the file system cache, not counted
    for _ in range(samples):
        for name, (handler, event, case_env, _, _) in cases.items():
            ms, count = sample(handler, event, case_env)
            times[name].append(ms)
            modules[name] = count
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    for name, (_, _, _, baseline, target) in cases.items():
        ratio = medians[name] / medians[baseline]
        goal = "" if target is None else f"  (target <= {target})"
        print(f"{name:44} median {medians[name]:6.1f} ms  ratio {ratio:.2f} "
              f"vs {baseline}  ({modules[name]} modules){goal}")  # fmt: skip


if __name__ == "__main__":
    main()
