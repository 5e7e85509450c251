"""Private keys kept in files on the embedded default (the development signing key, the
VAPID key): made on first use, readable by their owner only (0600, in a 0700 folder), and
shared by every process that starts at once (the first to create the file wins; the others
read it)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

K = TypeVar("K", bound=PrivateKeyTypes)


def private_key_file(path: Path, generate: Callable[[], K], kind: type[object]) -> K:
    """The key in ``path`` (PEM, PKCS #8), made by ``generate`` and written there first if
    there is none; ValueError when the file holds another kind of key."""
    path = path.expanduser()
    try:
        # of ``kind``, which is what ``generate`` makes
        return cast(K, _load(path, kind))
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return cast(K, _load(path, kind))
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return key


def _load(path: Path, kind: type[object]) -> PrivateKeyTypes:
    for _ in range(50):  # bounded: a file another process is writing is complete in ms
        data = path.read_bytes()
        if b"END PRIVATE KEY" in data:
            key = serialization.load_pem_private_key(data, password=None)
            if not isinstance(key, kind):
                raise ValueError(f"{path} does not hold a {kind.__name__}")
            return key
        time.sleep(0.02)
    raise ValueError(f"{path} does not hold a complete PEM private key")
