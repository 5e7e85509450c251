"""Pusher through the API Gateway Management API: the live games' frames to connections API
Gateway holds (``POST /@connections/{connectionId}``, boto3's ``post_to_connection``).

A connection answered 410 Gone is reported gone (the registry then forgets it: the
reference implementation logged and kept them). Any other failure of one connection is
logged and that frame lost for it alone: the client resynchronises on its next ``join``;
boto3's standard retry mode has already retried throttling and 5xx answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from domain.shared.connections import Connection

log = logging.getLogger(__name__)
#: Posts in flight at once for one broadcast (each a worker thread).
CONCURRENT_POSTS = 16


class ManagementApiClient(Protocol):
    def post_to_connection(self, *, ConnectionId: str, Data: bytes) -> Any: ...


class ManagementApiPusher:
    """Pusher over the Management API (see the module docstring)."""

    def __init__(self, client: ManagementApiClient) -> None:
        self._client = client

    async def push(self, connections: Sequence[Connection], frame: str) -> list[Connection]:
        data = frame.encode()
        limit = asyncio.Semaphore(CONCURRENT_POSTS)

        async def post(connection: Connection) -> bool:
            async with limit:
                return await asyncio.to_thread(self._post, connection.connection_id, data)

        delivered = await asyncio.gather(*(post(c) for c in connections))
        return [c for c, ok in zip(connections, delivered, strict=True) if not ok]

    def _post(self, connection_id: str, data: bytes) -> bool:
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if exc.response.get("Error", {}).get("Code") == "GoneException" or status == 410:
                return False
            log.warning("live frame to %s not delivered: %s", connection_id, exc)
        except BotoCoreError as exc:
            log.warning("live frame to %s not delivered: %s", connection_id, exc)
        return True
