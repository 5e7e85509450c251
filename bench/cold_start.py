"""(c) Lambda cold start of ``entrypoints.aws_lambda.http`` vs a minimal FastAPI + Mangum app.

Each sample is a fresh interpreter that imports the handler module and serves one HTTP API
(v2) event; the time from before the import to the response is measured inside the process
(interpreter start-up and teardown are left out, as Lambda's init does not pay them twice).
Samples of the two alternate so machine noise hits both alike; medians are compared.

    python -m bench.cold_start [--samples 11]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
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

EVENT = Path(__file__).parents[1] / "tests" / "events" / "apigw_http_v2_get_stock.json"
ROOT = Path(__file__).parents[1]

SAMPLE = """
import json, sys, time
start = time.perf_counter()
module = __import__(sys.argv[1], fromlist=["handler"])
response = module.handler(json.load(open(sys.argv[2])), None)
elapsed = time.perf_counter() - start
assert response["statusCode"] == 200, response
print(json.dumps({"ms": elapsed * 1000, "modules": len(sys.modules)}))
"""


def sample(module: str, env: dict[str, str]) -> tuple[float, int]:
    command = [sys.executable, "-c", SAMPLE, module, str(EVENT)]
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


def report(samples: int, env: dict[str, str], configured: dict[str, str]) -> None:
    cases = {
        "minimal FastAPI + Mangum": ("bench.minimal_lambda_app", env),
        "portside, embedded default": ("entrypoints.aws_lambda.http", env),
        "portside, DynamoDB + HTTP + Redis configured": ("entrypoints.aws_lambda.http", configured),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    modules: dict[str, int] = {}
    for module, case_env in cases.values():
        sample(module, case_env)  # warm the file system cache, not counted
    for _ in range(samples):
        for name, (module, case_env) in cases.items():
            ms, count = sample(module, case_env)
            times[name].append(ms)
            modules[name] = count
    medians = {name: statistics.median(ms) for name, ms in times.items()}
    base = medians["minimal FastAPI + Mangum"]
    for name, median in medians.items():
        print(f"{name:46} median {median:6.1f} ms  ratio {median / base:.2f}  "
              f"({modules[name]} modules)")  # fmt: skip
    ours = medians["portside, embedded default"]
    print(f"cold-start ratio (c) = {ours:.0f} / {base:.0f} = {ours / base:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
