"""The ``portside`` command run as a user runs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.services import LOOPBACK, aws_test_env, base_env, free_port, run_portside

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def test_init_aws_creates_what_is_missing_and_is_idempotent(
    aws_env: dict[str, str], dynamodb: DynamoDBClient, table_name: str
) -> None:
    env = base_env(**aws_env, STOCKS_TABLE=table_name)

    first = run_portside(env, "init-aws")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"table {table_name}: created"
    key = dynamodb.describe_table(TableName=table_name)["Table"]["KeySchema"]
    assert key == [{"AttributeName": "STOCK_ID", "KeyType": "HASH"}]
    assert dynamodb.scan(TableName=table_name)["Count"] == 0  # no demo rows unless asked

    again = run_portside(env, "init-aws", "--demo-data")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"table {table_name}: exists",
        f"table {table_name}: 4 demo stocks written",
    ]
    item = dynamodb.get_item(TableName=table_name, Key={"STOCK_ID": {"S": "AMZN"}})["Item"]
    assert item == {"STOCK_ID": {"S": "AMZN"}, "VALUE": {"N": "172.35"}}


def test_init_aws_with_nothing_configured_does_nothing() -> None:
    result = run_portside(base_env(), "init-aws")
    assert result.returncode == 0
    assert result.stdout.strip() == "nothing to create: no AWS resource is configured"


def test_init_aws_against_an_unreachable_endpoint_fails_clearly() -> None:
    env = base_env(STOCKS_TABLE="stocks", **aws_test_env(f"http://{LOOPBACK}:{free_port()}"))
    result = run_portside(env, "init-aws")
    assert result.returncode == 1
    assert result.stderr.startswith("portside: init-aws failed:")
    assert "Traceback" not in result.stderr


def test_bad_configuration_is_refused_with_the_variable_named() -> None:
    for name, value in [("STOCK_CURRENCIES", "USD,XXX"), ("RATES_CACHE_TTL_SECONDS", "soon")]:
        result = run_portside(base_env(**{name: value}), "serve", "--port", "1")
        assert result.returncode == 2
        assert name in result.stderr
        assert "Traceback" not in result.stderr
