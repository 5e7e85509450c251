"""DynamoDB attribute values to and from Python values, through boto3's own serializers: the
one place the adapters meet the wire format (``{"S": ...}``, ``{"N": ...}``, ...).

Writing: ``str`` is S, ``int`` and ``Decimal`` are N, ``bool`` is BOOL, ``bytes`` is B, a
mapping is M, a list or tuple is L. A ``float`` is refused (TypeError): convert it first. A
number must fit DynamoDB's 38 significant digits, or boto3 raises ``decimal.Inexact`` or
``decimal.Rounded``; an empty set is refused. A top-level ``None`` is left out, so an absent
attribute stays absent; inside a map or a list it would be NULL, so callers leave it out.

Reading: numbers come back as ``Decimal``, binary as ``boto3.dynamodb.types.Binary``
(``bytes(...)`` gives the bytes), M as ``dict``, L as ``list``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# Stateless: one of each serves every call.
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_item(values: Mapping[str, object]) -> dict[str, AttributeValueTypeDef]:
    """An item, a key or any attribute map: every value serialized, ``None`` left out."""
    return {
        name: _SERIALIZER.serialize(value) for name, value in values.items() if value is not None
    }


def from_item(item: Mapping[str, AttributeValueTypeDef]) -> dict[str, Any]:
    """The Python values of an item (or a key, or a stream image)."""
    return {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}


def values(**named: object) -> dict[str, AttributeValueTypeDef]:
    """``ExpressionAttributeValues``: ``values(v=3)`` is ``{":v": {"N": "3"}}`` (``None``
    left out, as in ``to_item``)."""
    return to_item({f":{name}": value for name, value in named.items()})
