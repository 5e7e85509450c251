"""Settings are parsed once, strictly, from an environment mapping."""

from __future__ import annotations

import pytest

from entrypoints.composition import ReadinessCheck, compose
from entrypoints.settings import ConfigurationError, Settings


def test_nothing_configured_is_the_embedded_default() -> None:
    assert Settings.from_env({}) == Settings(
        stocks_table=None,
        leaderboards_table=None,
        aws_endpoint_url=None,
        rates_api_url=None,
        rates_cache_ttl_seconds=20,
        rates_local_cache_seconds=1.0,
        redis_url=None,
        stock_currencies=("USD", "CAD", "AUD"),
        log_level="INFO",
    )


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "STOCKS_TABLE": "stocks",
            "LEADERBOARDS_TABLE": "boards",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "RATES_API_URL": "http://127.0.0.1:8080",
            "RATES_CACHE_TTL_SECONDS": "45",
            "RATES_LOCAL_CACHE_SECONDS": "0.25",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "STOCK_CURRENCIES": " usd, jpy ,",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings == Settings(
        stocks_table="stocks",
        leaderboards_table="boards",
        aws_endpoint_url="http://127.0.0.1:5000",
        rates_api_url="http://127.0.0.1:8080",
        rates_cache_ttl_seconds=45,
        rates_local_cache_seconds=0.25,
        redis_url="redis://127.0.0.1:6379/0",
        stock_currencies=("USD", "JPY"),
        log_level="DEBUG",
    )


def test_empty_values_count_as_unset() -> None:
    assert Settings.from_env({"STOCKS_TABLE": " ", "REDIS_URL": ""}) == Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RATES_CACHE_TTL_SECONDS", "0"),
        ("RATES_CACHE_TTL_SECONDS", "2.5"),
        ("RATES_LOCAL_CACHE_SECONDS", "-1"),
        ("RATES_LOCAL_CACHE_SECONDS", "nan"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_unusable_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_unknown_default_currencies_are_refused_at_startup() -> None:
    with pytest.raises(ConfigurationError, match="STOCK_CURRENCIES"):
        compose(Settings(stock_currencies=("USD", "XTS"))).stocks  # noqa: B018


def test_redis_is_optional_only_while_it_just_caches_rates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # boto3 reads its own (no call made)

    def readiness(settings: Settings) -> list[ReadinessCheck]:
        composition = compose(settings)
        composition.stocks, composition.leaderboards  # noqa: B018 (built for their checks)
        return composition.readiness

    cache_only = readiness(Settings(redis_url="redis://127.0.0.1:1/0", leaderboards_table="boards"))
    holds_boards = readiness(Settings(redis_url="redis://127.0.0.1:1/0"))
    assert [(c.name, c.required) for c in cache_only if c.name == "redis"] == [("redis", False)]
    assert [(c.name, c.required) for c in holds_boards] == [("redis", True)]


def test_auth_variables_are_read_together() -> None:
    settings = Settings.from_env(
        {
            "AUTH_JWKS_URL": "https://idp.example/jwks.json",
            "AUTH_ISSUER": "https://idp.example",
            "AUTH_AUDIENCE": "client",
            "AUTH_DEV_KEY_FILE": "/tmp/key.pem",
        }
    )
    assert (settings.auth_jwks_url, settings.auth_issuer, settings.auth_audience) == (
        "https://idp.example/jwks.json", "https://idp.example", "client"
    )  # fmt: skip
    assert settings.auth_dev_key_file == "/tmp/key.pem"
    assert Settings.from_env({}).auth_dev_key_file == "~/.portside/dev-signing-key.pem"
    with pytest.raises(ConfigurationError, match="AUTH_AUDIENCE unset"):
        Settings.from_env({"AUTH_JWKS_URL": "https://idp.example/jwks.json", "AUTH_ISSUER": "x"})
    real = compose(
        Settings.from_env({"AUTH_JWKS_URL": "u", "AUTH_ISSUER": "i", "AUTH_AUDIENCE": "a"})
    )
    assert real.dev_identity is None  # no development provider beside a real one
