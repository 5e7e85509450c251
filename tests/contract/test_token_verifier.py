"""TokenVerifier contract: in memory, the development identity provider, and a JWKS verifier
against a real loopback HTTP server publishing a Cognito-shaped key set."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.jwt.trivia import DevIdentityProvider, JwksTokenVerifier
from domain.trivia.errors import IdentityProviderUnavailableError, InvalidTokenError
from ports.trivia import TokenVerifier
from tests.support.fakes import InMemoryTokenVerifier
from tests.support.services import LoopbackServer

pytestmark = pytest.mark.anyio
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST"
AUDIENCE = "client-123"

# A token minter: (claims overrides, header overrides) -> token the verifier should accept
# unless the overrides break it.
Mint = Callable[..., str]


class JwksServer(LoopbackServer):
    """Publishes ``keys`` (JWK dicts) at /jwks.json; ``down`` answers 503; counts fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.down = False
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                status = 503 if outer.down else 200
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        super().__init__(Handler)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def minter(key: rsa.RSAPrivateKey, kid: str, issuer: str, audience: str) -> Mint:
    def mint(headers: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": issuer, "aud": audience, "sub": "uuid-of-ann", "cognito:username": "ann",
            "token_use": "id", "iat": now, "exp": now + 600, **claims,
        }  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key, "RS256", headers={"kid": kid, **(headers or {})})

    return mint


@asynccontextmanager
async def built(kind: str, tmp_path: Path) -> AsyncIterator[tuple[TokenVerifier, Mint | None]]:
    if kind == "memory":
        yield InMemoryTokenVerifier({"token-of-ann": "ann"}), None
    elif kind == "dev":
        dev = DevIdentityProvider(tmp_path / "dev.pem")
        yield dev, minter(dev.private_key(), dev.key_id, "portside-dev", "portside")
    else:
        key = new_key()
        with JwksServer() as server:
            server.keys = [public_jwk(key, "k1")]
            async with httpx.AsyncClient() as http:
                verifying = JwksTokenVerifier(http, f"{server.url}/jwks.json", ISSUER, AUDIENCE)
                yield verifying, minter(key, "k1", ISSUER, AUDIENCE)


@pytest.fixture(params=["memory", "dev", "jwks"])
async def verifier(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[TokenVerifier, Mint | None]]:
    async with built(request.param, tmp_path) as made:
        yield made


async def test_a_valid_token_names_the_player(verifier: tuple[TokenVerifier, Mint | None]) -> None:
    tokens, mint = verifier
    assert await tokens.verify(mint() if mint else "token-of-ann") == "ann"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "Bearer x"])
async def test_garbage_is_refused(verifier: tuple[TokenVerifier, Mint | None], token: str) -> None:
    tokens, _ = verifier
    with pytest.raises(InvalidTokenError):
        await tokens.verify(token)


# -- the JWT verifiers: every way a token can be wrong -------------------------------------


@pytest.fixture(params=["dev", "jwks"])
async def signed(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[TokenVerifier, Mint]]:
    """The JWT verifiers, with a minter of tokens they accept."""
    async with built(request.param, tmp_path) as (tokens, mint):
        assert mint is not None
        yield tokens, mint


def forged(token: str) -> str:
    """The same header and claims, signed by another key."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode({**claims, "cognito:username": "mallory"}, new_key(), "RS256", header)


def unsigned(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.encode(claims, None, "none", headers={"kid": kid})


@pytest.mark.parametrize(
    "breaking",
    [
        pytest.param(lambda mint: forged(mint()), id="forged-signature"),
        pytest.param(lambda mint: unsigned(mint()), id="alg-none"),
        pytest.param(lambda mint: mint(exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda mint: mint(aud="another-app"), id="wrong-audience"),
        pytest.param(lambda mint: mint(iss="https://evil.example"), id="wrong-issuer"),
        pytest.param(lambda mint: mint(exp=None), id="no-expiry"),
        pytest.param(lambda mint: mint(headers={"kid": "unknown"}), id="unknown-key"),
        pytest.param(
            lambda mint: mint(**{"cognito:username": None, "sub": None}), id="no-username"
        ),
        pytest.param(lambda mint: mint()[:-4] + "AAAA", id="tampered"),
    ],
)
async def test_a_broken_token_is_refused(
    signed: tuple[TokenVerifier, Mint], breaking: Callable[[Mint], str]
) -> None:
    tokens, mint = signed
    with pytest.raises(InvalidTokenError):
        await tokens.verify(breaking(mint))


async def test_a_hmac_token_keyed_with_the_public_key_is_refused(
    signed: tuple[TokenVerifier, Mint],
) -> None:
    """The classic key confusion: HS256 'signed' with the RSA public key's bytes."""
    tokens, mint = signed
    claims = jwt.decode(mint(), options={"verify_signature": False})
    kid = jwt.get_unverified_header(mint())["kid"]
    # PyJWT itself refuses a PEM key for HMAC; the bytes do not matter: only RS256 passes.
    secret = json.dumps(jwt.get_unverified_header(mint())).encode() * 4
    confused = jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(), secret, "HS256", {"kid": kid}
    )
    with pytest.raises(InvalidTokenError):
        await tokens.verify(confused)


async def test_the_username_falls_back_to_username_then_sub(
    signed: tuple[TokenVerifier, Mint],
) -> None:
    tokens, mint = signed
    assert await tokens.verify(mint(**{"cognito:username": None, "username": "bo"})) == "bo"
    assert await tokens.verify(mint(**{"cognito:username": None})) == "uuid-of-ann"


async def test_jwks_keys_are_cached_and_refetched_for_a_new_key_id() -> None:
    first, second = new_key(), new_key()
    with JwksServer() as server:
        server.keys = [public_jwk(first, "k1")]
        async with httpx.AsyncClient() as http:
            url = f"{server.url}/jwks.json"
            tokens = JwksTokenVerifier(http, url, ISSUER, AUDIENCE, refresh_seconds=1.0)
            for _ in range(3):
                assert await tokens.verify(minter(first, "k1", ISSUER, AUDIENCE)()) == "ann"
            assert server.fetches == 1
            server.keys.append(public_jwk(second, "k2"))  # the provider rotates its keys
            await asyncio.sleep(1.05)  # at most one fetch a second (1.0 here, 10 s by default)
            assert await tokens.verify(minter(second, "k2", ISSUER, AUDIENCE)()) == "ann"
            assert server.fetches == 2
            for _ in range(5):  # made-up key ids do not make it fetch again and again
                with pytest.raises(InvalidTokenError):
                    await tokens.verify(minter(second, "k9", ISSUER, AUDIENCE)())
            assert server.fetches == 2


async def test_jwks_unreachable_is_unavailable_not_unauthenticated() -> None:
    with JwksServer() as server:
        server.down = True
        async with httpx.AsyncClient() as http:
            tokens = JwksTokenVerifier(http, f"{server.url}/jwks.json", ISSUER, AUDIENCE)
            with pytest.raises(IdentityProviderUnavailableError):
                await tokens.verify(minter(new_key(), "k1", ISSUER, AUDIENCE)())


def test_the_dev_key_file_is_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dev.pem"
    first = DevIdentityProvider(path)
    token = first.issue("ann")
    assert path.stat().st_mode & 0o777 == 0o600
    second = DevIdentityProvider(path)  # another process: the same key
    assert second.key_id == first.key_id
    assert second.jwks() == first.jwks()
    assert "d" not in second.jwks()["keys"][0]  # the public half only
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == "portside-dev"
