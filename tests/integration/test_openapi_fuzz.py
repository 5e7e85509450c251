"""Schemathesis over the app's own OpenAPI document, every check on, against the app on the
embedded default: once as a signed-in player, once as a stranger with no token. The document
has to be the truth for this to pass: every body, parameter, answer and error it declares is
what the app takes and gives. ``schemathesis.toml`` holds the settings (a fixed seed, bounded
examples) and the answers a schema cannot express."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis

from entrypoints.composition import compose
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

ROOT = Path(__file__).parents[2]
CONFIG = schemathesis.Config.from_path(ROOT / "schemathesis.toml")
_KEYS = Path(tempfile.mkdtemp(prefix="portside-fuzz-"))
SERVICES = compose(
    Settings(
        auth_dev_key_file=str(_KEYS / "key.pem"),
        vapid_key_file=str(_KEYS / "vapid.pem"),
        log_level="ERROR",
    )
)
assert SERVICES.dev_identity is not None  # the embedded default is its own identity provider
TOKEN = {"Authorization": f"Bearer {SERVICES.dev_identity().issue('fuzzer')}"}
# Loaded at import: Schemathesis' lazy fixture loading does not work with this pytest.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SERVICES), config=CONFIG)

pytestmark = pytest.mark.slow


class PlayerToken:
    """The player's bearer token, given through Schemathesis so that it knows: a case made
    invalid by leaving the token out goes without it."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN["Authorization"]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


@schema.auth(PlayerToken)
@schema.parametrize()
def test_as_a_player(case: Any) -> None:
    case.call_and_validate()


@schema.parametrize()
def test_as_a_stranger(case: Any) -> None:
    case.call_and_validate()


class Player(schema.as_state_machine()):  # type: ignore[misc]
    """Sequences of calls linked by the ids the answers carry (create, read, delete...)."""

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        # The player's own token wherever the case carries one; a case made invalid by
        # leaving it out goes without (forcing it there made such a case "accepted").
        return {"headers": TOKEN} if "Authorization" in (case.headers or {}) else {}


TestAPlayersWorkflows = Player.TestCase
TestAPlayersWorkflows.settings = hypothesis.settings(
    TestAPlayersWorkflows.settings, max_examples=10, stateful_step_count=6, derandomize=True
)
