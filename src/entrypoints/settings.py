"""Typed settings, read once from the environment by the composition root.

This is the only module that reads the project's environment variables (boto3 still reads
its own ``AWS_*`` variables for region and credentials).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class ConfigurationError(ValueError):
    """A configuration variable has a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    stocks_table: str | None = None
    leaderboards_table: str | None = None
    orders_table: str | None = None
    inventory_table: str | None = None
    idempotency_table: str | None = None
    orders_topic_arn: str | None = None
    payments_api_url: str | None = None
    orders_state_machine_arn: str | None = None
    orders_recovery_idle_seconds: float = 60.0
    dead_letter_queue_url: str | None = None
    race_seconds: int = 300
    race_classes: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    race_grace_seconds: int = 30
    races_table: str | None = None
    races_stream: str | None = None
    races_stream_shards: int = 2
    history_bucket: str | None = None
    live_iot_topic: str = "alleycat-subscribe"
    trivia_table: str | None = None
    trivia_topic_arn: str | None = None
    auth_jwks_url: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_dev_key_file: str = "~/.portside/dev-signing-key.pem"
    live_host_grace_seconds: int = 120
    live_callback_url: str | None = None
    avatars_bucket: str | None = None
    avatars_public_url: str | None = None
    moderation_service: str | None = None
    moderation_min_confidence: float = 80.0
    moderation_rejected_digests: tuple[str, ...] = ()
    vapid_private_key: str | None = None
    vapid_key_file: str = "~/.portside/vapid-key.pem"
    vapid_subject: str = "mailto:push@portside.invalid"
    aws_endpoint_url: str | None = None
    rates_api_url: str | None = None
    rates_cache_ttl_seconds: int = 20
    rates_local_cache_seconds: float = 1.0
    redis_url: str | None = None
    stock_currencies: tuple[str, ...] = ("USD", "CAD", "AUD")
    log_level: str = "INFO"
    orders_fault_injection: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from a mapping such as ``os.environ``; empty values count as unset."""

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def seconds(name: str, default: float, most: float, unit: str = "seconds") -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError:
                value = -1.0
            if not 0 <= value <= most:  # also refuses nan
                raise ConfigurationError(
                    f"{name} must be a number of {unit} from 0 to {most:g}, not {raw!r}"
                )
            return value

        ttl_text = text("RATES_CACHE_TTL_SECONDS")
        ttl = cls.rates_cache_ttl_seconds
        if ttl_text is not None:
            if not ttl_text.isdigit() or int(ttl_text) < 1:
                raise ConfigurationError(
                    f"RATES_CACHE_TTL_SECONDS must be a whole number of seconds >= 1, "
                    f"not {ttl_text!r}"
                )
            ttl = int(ttl_text)

        local = seconds("RATES_LOCAL_CACHE_SECONDS", cls.rates_local_cache_seconds, 60)

        currencies_text = text("STOCK_CURRENCIES")
        currencies = cls.stock_currencies
        if currencies_text is not None:
            currencies = tuple(c.strip().upper() for c in currencies_text.split(",") if c.strip())

        log_level = (text("LOG_LEVEL") or cls.log_level).upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigurationError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")

        injection = (text("ORDERS_FAULT_INJECTION") or "false").lower()
        if injection not in {"true", "false"}:
            raise ConfigurationError(
                f"ORDERS_FAULT_INJECTION must be true or false, not {injection!r}"
            )

        idle = seconds("ORDERS_RECOVERY_IDLE_SECONDS", cls.orders_recovery_idle_seconds, 86400)

        def whole(name: str, default: int, least: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            if not raw.isdigit() or int(raw) < least:
                raise ConfigurationError(f"{name} must be a whole number >= {least}, not {raw!r}")
            return int(raw)

        classes_text = text("RACE_CLASSES")
        classes = cls.race_classes
        if classes_text is not None:
            parts = [p.strip() for p in classes_text.split(",") if p.strip()]
            if not parts or not all(p.isdigit() for p in parts):
                raise ConfigurationError(
                    f"RACE_CLASSES must be comma-separated class numbers, not {classes_text!r}"
                )
            classes = tuple(dict.fromkeys(int(p) for p in parts))

        auth = {name: text(name) for name in ("AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE")}
        if any(auth.values()) and not all(auth.values()):
            missing = ", ".join(name for name, value in auth.items() if not value)
            raise ConfigurationError(
                f"AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE go together; {missing} unset"
            )

        moderation = text("MODERATION_SERVICE")
        if moderation is not None and moderation.lower() not in {"memory", "rekognition"}:
            raise ConfigurationError(
                f"MODERATION_SERVICE must be memory or rekognition, not {moderation!r}"
            )
        confidence = seconds(
            "MODERATION_MIN_CONFIDENCE", cls.moderation_min_confidence, 100, "percent"
        )
        digests = tuple(
            d.strip().lower() for d in (text("MODERATION_REJECTED_DIGESTS") or "").split(",")
            if d.strip()
        )  # fmt: skip
        bad = [d for d in digests if len(d) != 64 or any(c not in "0123456789abcdef" for c in d)]
        if bad:
            raise ConfigurationError(
                f"MODERATION_REJECTED_DIGESTS must be SHA-256 hex digests, not {bad[0]!r}"
            )
        subject = text("VAPID_SUBJECT") or cls.vapid_subject
        if not subject.startswith(("mailto:", "https://")):
            raise ConfigurationError(
                f"VAPID_SUBJECT must be a mailto: or https: URL (RFC 8292), not {subject!r}"
            )

        return cls(
            stocks_table=text("STOCKS_TABLE"),
            leaderboards_table=text("LEADERBOARDS_TABLE"),
            orders_table=text("ORDERS_TABLE"),
            inventory_table=text("INVENTORY_TABLE"),
            idempotency_table=text("IDEMPOTENCY_TABLE"),
            orders_topic_arn=text("ORDERS_TOPIC_ARN"),
            payments_api_url=text("PAYMENTS_API_URL"),
            orders_state_machine_arn=text("ORDERS_STATE_MACHINE_ARN"),
            orders_recovery_idle_seconds=idle,
            dead_letter_queue_url=text("DEAD_LETTER_QUEUE_URL"),
            race_seconds=whole("RACE_SECONDS", cls.race_seconds, 1),
            race_classes=classes,
            race_grace_seconds=whole("RACE_GRACE_SECONDS", cls.race_grace_seconds, 0),
            races_table=text("RACES_TABLE"),
            races_stream=text("RACES_STREAM"),
            races_stream_shards=whole("RACES_STREAM_SHARDS", cls.races_stream_shards, 1),
            history_bucket=text("HISTORY_BUCKET"),
            live_iot_topic=text("LIVE_IOT_TOPIC") or cls.live_iot_topic,
            trivia_table=text("TRIVIA_TABLE"),
            trivia_topic_arn=text("TRIVIA_TOPIC_ARN"),
            auth_jwks_url=auth["AUTH_JWKS_URL"],
            auth_issuer=auth["AUTH_ISSUER"],
            auth_audience=auth["AUTH_AUDIENCE"],
            auth_dev_key_file=text("AUTH_DEV_KEY_FILE") or cls.auth_dev_key_file,
            live_host_grace_seconds=whole(
                "LIVE_HOST_GRACE_SECONDS", cls.live_host_grace_seconds, 0
            ),
            live_callback_url=text("LIVE_CALLBACK_URL"),
            avatars_bucket=text("AVATARS_BUCKET"),
            # a base URL the keys are appended to: "https://cdn" means "https://cdn/"
            avatars_public_url=_with_slash(text("AVATARS_PUBLIC_URL")),
            moderation_service=None if moderation is None else moderation.lower(),
            moderation_min_confidence=confidence,
            moderation_rejected_digests=digests,
            vapid_private_key=text("VAPID_PRIVATE_KEY"),
            vapid_key_file=text("VAPID_KEY_FILE") or cls.vapid_key_file,
            vapid_subject=subject,
            aws_endpoint_url=text("AWS_ENDPOINT_URL"),
            rates_api_url=text("RATES_API_URL"),
            rates_cache_ttl_seconds=ttl,
            rates_local_cache_seconds=local,
            redis_url=text("REDIS_URL"),
            stock_currencies=currencies,
            log_level=log_level,
            orders_fault_injection=injection == "true",
        )


def _with_slash(url: str | None) -> str | None:
    return None if url is None else url.rstrip("/") + "/"
