"""Bearer-token verification for trivia: RS256 JWTs checked against a JWKS.

``JwksTokenVerifier`` is for a real identity provider (an Amazon Cognito user pool: keys at
``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json``). Keys are
cached by ``kid`` and fetched again when a token names an unknown one (at most every
``REFRESH_SECONDS``, so a flood of made-up ``kid``s cannot hammer the provider).

``DevIdentityProvider`` is the embedded default's own provider: an RSA key in a file shared by
``portside serve`` (which publishes it at ``/.well-known/jwks.json``) and ``portside
dev-token`` (which signs with it).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.keyfiles import private_key_file
from domain.trivia.errors import IdentityProviderUnavailableError, InvalidTokenError

if TYPE_CHECKING:
    import httpx

ALGORITHM = "RS256"
REFRESH_SECONDS = 10.0
DEV_ISSUER, DEV_AUDIENCE = "portside-dev", "portside"
DEV_TOKEN_SECONDS = 3600
_REQUIRED = ["exp", "iat", "iss", "aud"]
#: Cognito's tokens are 1-2 KB; anything far longer is refused before it is parsed.
MAX_TOKEN_CHARS = 8192
MAX_USERNAME = 128


def username_of(claims: Mapping[str, Any]) -> str:
    """The player: ``cognito:username``, else ``username``, else ``sub`` (1 to 128
    printable characters, as Cognito allows)."""
    for claim in ("cognito:username", "username", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            if len(value) > MAX_USERNAME or not value.isprintable():
                raise InvalidTokenError("The token's user name is not a valid one.")
            return value
    raise InvalidTokenError("The token names no user.")


def verify_with(token: str, key: Any, issuer: str, audience: str) -> str:
    """Check signature (RS256 only: never ``none``, never an HMAC), expiry, issuer and
    audience; return the username."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": _REQUIRED},
            leeway=5,  # seconds of clock skew between the provider and this host
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("The token has expired.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidTokenError("The token is for another audience.") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidTokenError("The token is from another issuer.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("The token is not valid.") from exc
    return username_of(claims)


def _key_id(token: str) -> str:
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidTokenError("The token is too long to be one of ours.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("The token is not a JWT.") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError(f"Tokens must be signed with {ALGORITHM}.")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidTokenError("The token names no key.")
    return kid


class JwksTokenVerifier:
    """TokenVerifier for RS256 tokens of one issuer and audience, keys from a JWKS URL."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._http = http
        self._refresh_seconds = refresh_seconds
        self._url = jwks_url
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> str:
        kid = _key_id(token)
        key = self._keys.get(kid)
        if key is None:
            await self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidTokenError("The token was signed with an unknown key.")
        return verify_with(token, key, self._issuer, self._audience)

    async def _refresh(self) -> None:
        async with self._lock:  # one fetch for many callers with the same new kid
            if time.monotonic() - self._fetched_at < self._refresh_seconds:
                return
            import httpx  # here, not above: the embedded default never loads httpx

            try:
                response = await self._http.get(self._url)
                response.raise_for_status()
                document = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise IdentityProviderUnavailableError(
                    "The identity provider's keys cannot be fetched."
                ) from exc
            self._fetched_at = time.monotonic()
            keys = {}
            for jwk in document.get("keys", []) if isinstance(document, dict) else []:
                if jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig" and "kid" in jwk:
                    try:
                        keys[jwk["kid"]] = jwt.PyJWK(jwk, ALGORITHM).key
                    except jwt.PyJWTError:
                        continue  # one malformed key does not hide the others
            self._keys = keys


class DevIdentityProvider:
    """The embedded default's identity provider: signs development tokens and verifies them.

    The key file is created (mode 0600) by whichever process needs it first; creation is
    exclusive, so two processes starting together still end up with one key.
    """

    def __init__(self, key_file: Path) -> None:
        self._path = key_file
        self._key: rsa.RSAPrivateKey | None = None

    def private_key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            self._key = private_key_file(self._path, _new_rsa_key, rsa.RSAPrivateKey)
        return self._key

    @functools.cached_property
    def key_id(self) -> str:
        # Cached: every verification compares it (hashing the modulus each time cost about
        # 4% of a request).
        numbers = self.private_key().public_key().public_numbers()
        return hashlib.sha256(f"{numbers.n}:{numbers.e}".encode()).hexdigest()[:16]

    def issue(self, user: str, now: float | None = None, seconds: int = DEV_TOKEN_SECONDS) -> str:
        """A development ID token for ``user``, valid for ``seconds``."""
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": user,
            "cognito:username": user,
            "token_use": "id",
            "iat": issued,
            "exp": issued + seconds,
        }
        return jwt.encode(claims, self.private_key(), ALGORITHM, headers={"kid": self.key_id})

    def jwks(self) -> dict[str, Any]:
        """The public key as a JSON Web Key Set."""
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key().public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": ALGORITHM}]}

    async def verify(self, token: str) -> str:
        if _key_id(token) != self.key_id:
            raise InvalidTokenError("The token was signed with an unknown key.")
        return verify_with(token, self._public_key, DEV_ISSUER, DEV_AUDIENCE)

    @functools.cached_property
    def _public_key(self) -> rsa.RSAPublicKey:
        return self.private_key().public_key()


def _new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
