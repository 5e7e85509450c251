"""The leaderboard route through ``portside serve`` on Redis and on DynamoDB (moto)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx

from tests.support.services import Service, base_env, run_portside, start_portside

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TOP_THREE = [(1, "racer-101", "9125.40"), (2, "racer-102", "8790.15"), (2, "racer-103", "8790.15")]


def demo_page(url: str) -> dict[str, object]:
    response = httpx.get(f"{url}/leaderboards/class-3", params={"limit": 3, "member": "racer-112"})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    entries = body["entries"]
    assert isinstance(entries, list)
    assert [(e["rank"], e["member"], e["score"]) for e in entries] == TOP_THREE
    return body


def test_redis_url_set_serves_boards_from_redis(redis_server: Service, redis_url: str) -> None:
    env = base_env(REDIS_URL=redis_url)
    made = run_portside(env, "init-aws", "--demo-data")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "redis: demo leaderboard class-3 written"
    again = run_portside(env, "init-aws", "--demo-data")  # idempotent: BEST keeps each score
    assert again.returncode == 0, again.stderr
    server, url = start_portside(env)
    try:
        body = demo_page(url)
        assert body["total"] == 12
        assert body["me"] == {
            "rank": 12,
            "member": "racer-112",
            "score": "5410.20",
            "achievedAt": "2026-11-20T09:05:00.000Z",
            "display": {"name": "Alan"},
        }
        ready = httpx.get(f"{url}/readyz").json()
        assert ready["checks"] == {"redis": "ok"}
    finally:
        server.stop_gracefully()


def test_leaderboards_table_set_serves_boards_from_dynamodb(
    aws_env: dict[str, str], dynamodb: DynamoDBClient, redis_url: str
) -> None:
    table = f"leaderboards-{uuid.uuid4().hex[:8]}"
    # REDIS_URL is set too: the table wins, by the one rule for choosing adapters.
    env = base_env(**aws_env, LEADERBOARDS_TABLE=table, REDIS_URL=redis_url)
    made = run_portside(env, "init-aws", "--demo-data")
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines() == [
        f"table {table}: created",
        f"table {table}: demo leaderboard class-3 written",
    ]
    index = dynamodb.describe_table(TableName=table)["Table"]["LocalSecondaryIndexes"][0]
    assert index["IndexName"] == "GSI_PK_Index"
    ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiration"
    meta = dynamodb.get_item(TableName=table, Key={"PK": {"S": "class-3"}, "SK": {"S": "#board"}})
    assert "GSI" not in meta["Item"]
    server, url = start_portside(env)
    try:
        assert demo_page(url)["total"] == 12
        assert httpx.get(f"{url}/readyz").json()["checks"]["leaderboardsTable"] == "ok"
    finally:
        server.stop_gracefully()
