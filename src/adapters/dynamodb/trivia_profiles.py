"""Trivia profiles in DynamoDB, in ``TRIVIA_TABLE`` (keys ``PK``, ``SK``; ``expiration`` is the
table's TTL attribute, and reads ignore items past ``expiresAt``, since DynamoDB deletes them
late):

- a profile: ``player#<username>`` / ``profile``: ``displayName``, ``imageKey``,
  ``thumbnailKey``;
- a pending upload: ``upload#<key>`` / ``upload``: ``player``, ``contentType``, ``slot``,
  ``expiresAt``;
- a player's upload slots: ``player#<username>`` / ``upslot#<0..2>``: ``key``,
  ``expiresAt``; a slot is taken with the condition that it is free or expired, so at most 3
  uploads are pending whatever the concurrency;
- a Web Push subscription: ``player#<username>`` / ``push#<sha256(endpoint)>``: ``endpoint``,
  ``p256dh``, ``auth``, ``createdAt``.

Finishing an upload is one transaction: the pending item deleted on the condition that it
exists (so it is consumed once) and, for an accepted one, the profile's avatar set on the
condition that it is still the one read (a concurrent change: read again and retry).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from adapters.dynamodb.codec import from_item, to_item, values
from adapters.dynamodb.tables import batch_get, expiring
from adapters.dynamodb.trivia import TriviaTable
from domain.trivia.errors import TriviaStoreUnavailableError
from domain.trivia.profiles import PENDING_UPLOADS, Avatar, PendingUpload, Profile, PushSubscription

#: Concurrent avatar changes of one player are rare: a few tries settle them.
FINISH_TRIES = 5


def _profile_key(username: str) -> dict[str, Any]:
    return to_item({"PK": f"player#{username}", "SK": "profile"})


def _profile_of(username: str, fields: dict[str, Any]) -> Profile:
    avatar = None
    if fields.get("imageKey"):
        avatar = Avatar(str(fields["imageKey"]), str(fields["thumbnailKey"]))
    return Profile(username, fields.get("displayName") or None, avatar)


class DynamoDBProfileStore(TriviaTable):
    """ProfileStore in ``TRIVIA_TABLE`` (layout in the module docstring)."""

    async def get(self, username: str) -> Profile:
        answer = await self._run(
            self._client.get_item, TableName=self._table, Key=_profile_key(username),
            ConsistentRead=True,
        )  # fmt: skip
        return _profile_of(username, from_item(answer.get("Item") or {}))

    async def get_many(self, usernames: Sequence[str]) -> list[Profile]:
        keys = [_profile_key(u) for u in usernames]
        items = await batch_get(self._client, TriviaStoreUnavailableError, self._table, keys)
        found = []
        for item in items:
            fields = from_item(item)
            found.append(_profile_of(str(fields["PK"]).removeprefix("player#"), fields))
        return found

    async def rename(self, username: str, display_name: str) -> Profile:
        answer = await self._run(
            self._client.update_item, TableName=self._table, Key=_profile_key(username),
            UpdateExpression="SET displayName = :n",
            ExpressionAttributeValues=values(n=display_name), ReturnValues="ALL_NEW",
        )  # fmt: skip
        return _profile_of(username, from_item(answer.get("Attributes") or {}))

    async def add_pending(self, upload: PendingUpload, now: int, limit: int) -> bool:
        pk = f"player#{upload.player}"
        for slot in range(limit):
            reasons = await self._transact([
                {"Put": {
                    "TableName": self._table,
                    "Item": to_item({"PK": pk, "SK": f"upslot#{slot}", "key": upload.key,
                                     **expiring(upload.expires_at)}),
                    "ConditionExpression": "attribute_not_exists(PK) OR expiresAt <= :now",
                    "ExpressionAttributeValues": values(now=now),
                }},
                {"Put": {
                    "TableName": self._table,
                    "Item": to_item({
                        "PK": f"upload#{upload.key}", "SK": "upload", "player": upload.player,
                        "contentType": upload.content_type, "slot": slot,
                        **expiring(upload.expires_at),
                    }),
                }},
            ])  # fmt: skip
            if not reasons:
                return True
            if reasons[0] != "ConditionalCheckFailed":
                raise TriviaStoreUnavailableError(f"An upload slot was not taken ({reasons}).")
        return False

    async def pending(self, key: str, now: int) -> PendingUpload | None:
        answer = await self._run(
            self._client.get_item, TableName=self._table,
            Key=to_item({"PK": f"upload#{key}", "SK": "upload"}), ConsistentRead=True,
        )  # fmt: skip
        fields = from_item(answer.get("Item") or {})
        if not fields or int(fields["expiresAt"]) <= now:
            return None
        return PendingUpload(
            key, str(fields["player"]), str(fields["contentType"]), int(fields["expiresAt"])
        )

    async def finish(
        self, upload: PendingUpload, avatar: Avatar | None
    ) -> tuple[bool, Avatar | None]:
        consume = {"Delete": {
            "TableName": self._table,
            "Key": to_item({"PK": f"upload#{upload.key}", "SK": "upload"}),
            "ConditionExpression": "attribute_exists(PK)",
        }}  # fmt: skip
        for _ in range(FINISH_TRIES):
            before = await self.get(upload.player)
            actions: list[dict[str, Any]] = [consume]
            if avatar is not None:
                actions.append({"Update": _set_avatar(self._table, before, avatar)})
            reasons = await self._transact(actions)
            if not reasons:
                await self._free_slot(upload)
                return True, before.avatar
            if reasons[0] == "ConditionalCheckFailed":
                return False, None  # consumed already
            if len(reasons) < 2 or reasons[1] != "ConditionalCheckFailed":
                raise TriviaStoreUnavailableError(f"An upload was not finished ({reasons}).")
        raise TriviaStoreUnavailableError(f"The avatar of {upload.player!r} kept changing.")

    async def _free_slot(self, upload: PendingUpload) -> None:
        """The player's slot back (unless a new upload took it after it expired)."""
        for slot in range(PENDING_UPLOADS):
            try:
                await self._run(
                    self._client.delete_item, TableName=self._table,
                    Key=to_item({"PK": f"player#{upload.player}", "SK": f"upslot#{slot}"}),
                    ConditionExpression="#k = :k", ExpressionAttributeNames={"#k": "key"},
                    ExpressionAttributeValues=values(k=upload.key),
                )  # fmt: skip
            except ClientError:
                continue  # another upload's slot
            return


def _set_avatar(table: str, before: Profile, avatar: Avatar) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": table,
        "Key": _profile_key(before.username),
        "UpdateExpression": "SET imageKey = :i, thumbnailKey = :t",
    }
    if before.avatar is None:
        update["ConditionExpression"] = "attribute_not_exists(imageKey)"
        update["ExpressionAttributeValues"] = values(i=avatar.image_key, t=avatar.thumbnail_key)
    else:
        update["ConditionExpression"] = "imageKey = :was"
        update["ExpressionAttributeValues"] = values(
            i=avatar.image_key, t=avatar.thumbnail_key, was=before.avatar.image_key
        )
    return update


class DynamoDBPushSubscriptionStore(TriviaTable):
    """PushSubscriptionStore in ``TRIVIA_TABLE`` (layout in the module docstring)."""

    async def add(self, subscription: PushSubscription, keep: int) -> None:
        pk = f"player#{subscription.player}"
        await self._run(
            self._client.put_item, TableName=self._table, Item=to_item({
                "PK": pk, "SK": _push_sort(subscription.endpoint),
                "endpoint": subscription.endpoint, "p256dh": subscription.p256dh,
                "auth": subscription.auth, "createdAt": time.time_ns(),
            }),
        )  # fmt: skip
        mine = await self._items(subscription.player)
        mine.sort(key=lambda i: int(i["createdAt"]))
        for item in mine[: max(0, len(mine) - keep)]:
            await self.remove(subscription.player, str(item["endpoint"]))

    async def of(self, player: str) -> list[PushSubscription]:
        items = sorted(await self._items(player), key=lambda i: int(i["createdAt"]))
        return [
            PushSubscription(player, str(i["endpoint"]), str(i["p256dh"]), str(i["auth"]))
            for i in items
        ]

    async def remove(self, player: str, endpoint: str) -> None:
        await self._run(
            self._client.delete_item, TableName=self._table,
            Key=to_item({"PK": f"player#{player}", "SK": _push_sort(endpoint)}),
        )  # fmt: skip

    async def _items(self, player: str) -> list[dict[str, Any]]:
        answer = await self._run(
            self._client.query, TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :push)",
            ExpressionAttributeValues=values(pk=f"player#{player}", push="push#"),
            ConsistentRead=True,
        )  # fmt: skip
        return [from_item(i) for i in answer.get("Items", [])]


def _push_sort(endpoint: str) -> str:
    return "push#" + hashlib.sha256(endpoint.encode()).hexdigest()
