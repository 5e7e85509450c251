"""A full race, 1,000 racers x 300 seconds with 5% duplicates, through the two pipelines a
user runs: the local server on the embedded default (``POST /races/events``), and Kinesis
(moto, 2 shards, random partition keys, a few poison records) consumed by ``portside consume
races`` with tumbling windows into DynamoDB and S3. Results must equal a reference
computation from the generated data."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from entrypoints.race_simulator import make_racers, race_messages
from tests.support.services import base_env, boto_client, run_portside, start_portside

pytestmark = pytest.mark.slow
RACERS, SECONDS, SEED = 1000, 300, 7


def reference(class_id: int, race_id: int) -> dict[str, Decimal]:
    """Each racer's total, computed here from the generated messages, each second once."""
    totals: dict[str, Decimal] = {}
    for batch in race_messages(make_racers(RACERS, SEED), SECONDS, class_id, race_id, SEED):
        for m in batch:
            output = (m.cadence + 35) * (m.resistance + 65) / 100
            key = f"racer-{m.racer_id}"
            totals[key] = totals.get(key, Decimal(0)) + output
    return {k: v.quantize(Decimal("0.01"), ROUND_HALF_UP) for k, v in totals.items()}


def simulate(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = run_portside(
        env, "simulate-race", "--racers", str(RACERS), "--seconds", str(SECONDS),
        "--seed", str(SEED), "--speed", "0", "--duplicates", "0.05", *args, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    first, *_, summary = done.stdout.strip().splitlines()
    return json.loads(first)["raceId"], summary


def whole_board(http: httpx.Client, path: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for offset in range(0, 2000, 100):  # bounded
        page = http.get(path, params={"limit": 100, "offset": offset}).json()
        entries += page["entries"]
        if offset + 100 >= page["total"]:
            return entries
    raise AssertionError("board longer than expected")


def check_race(url: str, class_id: int, race_id: int) -> None:
    expected = reference(class_id, race_id)
    with httpx.Client(base_url=url, timeout=30) as http:
        results = whole_board(http, f"/races/{class_id}/{race_id}/results")
        best = whole_board(http, f"/classes/{class_id}/leaderboard")
        live = http.get(f"/races/{class_id}/{race_id}/live").json()
        history = http.get(f"/classes/{class_id}/history").json()
    assert {e["member"]: Decimal(e["score"]) for e in results} == expected
    assert [(e["member"], e["score"]) for e in best] == [(e["member"], e["score"]) for e in results]
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1], int(kv[0].split("-")[1])))
    assert [e["member"] for e in results][:50] == [m for m, _ in ranked][:50]
    assert live["second"] == SECONDS
    assert {f"racer-{r['racerId']}": Decimal(r["total"]) for r in live["racers"]} == expected
    assert [r["rank"] for r in live["racers"]] == [e["rank"] for e in results]
    assert all(e["name"] == f"Racer {e['member'].split('-')[1]}" for e in results)
    assert len(history["racers"]) == RACERS
    assert all(len(bests) == SECONDS and None not in bests for bests in history["racers"].values())


def clear_of_a_slot_boundary(slot_seconds: int = 300, margin: float = 75) -> None:
    """Wait (at most ``margin`` seconds) until the race slot has ``margin`` seconds left, so
    that the race sent now and its live board are read in the same slot."""
    left = slot_seconds - time.time() % slot_seconds
    if left < margin:
        time.sleep(left + 0.5)


def test_a_full_race_through_the_local_server(tmp_path: Any) -> None:
    server, url = start_portside(base_env())
    try:
        clear_of_a_slot_boundary()
        race_id, summary = simulate(base_env(), "--target", "local", "--url", url)
        assert "failed 0" in summary
        assert "rejected 0" in summary
        check_race(url, 1, race_id)
        with connect(f"{url.replace('http', 'ws')}/ws/races/1") as socket:
            boards = [json.loads(socket.recv(timeout=3)) for _ in range(2)]
        assert [(b["raceId"], len(b["racers"])) for b in boards] == [(race_id, RACERS)] * 2
    finally:
        server.stop_gracefully()


@pytest.fixture(scope="module")
def races_env(aws_env: dict[str, str]) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    queue = boto_client("sqs", aws_env).create_queue(QueueName=f"dead-{suffix}")["QueueUrl"]
    env = base_env(
        **aws_env,
        RACES_TABLE=f"races-{suffix}",
        RACES_STREAM=f"races-{suffix}",
        RACES_STREAM_SHARDS="2",
        HISTORY_BUCKET=f"history-{suffix}",
        DEAD_LETTER_QUEUE_URL=queue,
        # The race is sent as fast as possible into the current slot, then consumed from the
        # backlog; a grace longer than that lag keeps the sweep from finishing it first (the
        # sweep and late corrections are covered by the unit tests).
        RACE_GRACE_SECONDS="3600",
    )
    made = run_portside(env, "init-aws")
    assert made.returncode == 0, made.stderr
    assert f"stream races-{suffix}: created (2 shards)" in made.stdout
    return env


def test_a_full_race_through_kinesis_and_the_stream_consumer(races_env: dict[str, str]) -> None:
    race_id, summary = simulate(
        races_env, "--target", "kinesis", "--partition-key", "random", "--class-id", "2"
    )
    assert "failed 0" in summary
    kinesis = boto_client("kinesis", races_env)
    poison = [b"{not json", b'{"classId": 2, "raceId": 1, "second": 999}', b"\xff\xfe"]
    kinesis.put_records(
        StreamName=races_env["RACES_STREAM"],
        Records=[{"Data": p, "PartitionKey": uuid.uuid4().hex} for p in poison],
    )
    shards = kinesis.list_shards(StreamName=races_env["RACES_STREAM"])["Shards"]
    assert len(shards) == 2
    consumed = run_portside(
        races_env, "consume", "races", "--window-seconds", "15", "--until-idle", "3", timeout=900
    )
    assert consumed.returncode == 0, consumed.stderr[-3000:]
    print(consumed.stdout, *(line for line in consumed.stderr.splitlines() if "WARN" in line))
    assert "windows" in consumed.stdout
    # Both shards carried the race (random partition keys), and both were checkpointed.
    dynamodb = boto_client("dynamodb", races_env)
    checkpoints = dynamodb.query(
        TableName=races_env["RACES_TABLE"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"checkpoint-{races_env['RACES_STREAM']}"}},
    )["Items"]
    assert len(checkpoints) == 2
    sqs, letters = boto_client("sqs", races_env), []
    for _ in range(10):  # bounded: SQS may answer a receive with fewer messages than it holds
        letters += sqs.receive_message(
            QueueUrl=races_env["DEAD_LETTER_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        if len(letters) >= len(poison):
            break
    payloads = sorted(base64.b64decode(json.loads(m["Body"])["payload"]) for m in letters)
    assert payloads == sorted(poison)
    server, url = start_portside(races_env)
    try:
        check_race(url, 2, race_id)
    finally:
        server.stop_gracefully()
    # Consuming again from the checkpoints reads nothing new and changes nothing.
    again = run_portside(races_env, "consume", "races", "--until-idle", "1", timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.startswith("consumed 0 records")
