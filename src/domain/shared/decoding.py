"""The one bounded JSON decoder for everything that enters from outside: HTTP bodies,
WebSocket frames, Kinesis, SQS, SNS and Firehose records, archived objects, provider answers.

It accepts I-JSON (RFC 7493) and nothing that costs more than its size to read:
- at most ``max_bytes`` of UTF-8 text (the caller's limit; a lone byte-order mark is not JSON);
- containers nested at most ``max_depth`` deep (a top-level object or array is depth 1);
- number literals of at most ``MAX_NUMBER_CHARS`` characters, checked before any conversion;
  every number within ±(2**53 - 1), the range every JSON client holds integers exactly in
  (no field of ours needs more); integers read as ``int``, others exactly as ``Decimal``
  (never via float), their exponent no lower than -400, so no later arithmetic or conversion
  of them is expensive; no NaN or Infinity;
- strings of Unicode scalar values: a lone surrogate (``"\\ud800"``) is refused;
- no duplicate member names in an object (the source would otherwise silently lose one).

Everything refused raises ``UndecodableError`` (``TooLargeError`` for the size) with a reason
safe to show: it never echoes the input beyond a short ASCII-escaped excerpt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from domain.shared.errors import FieldError, InvalidInputError

#: A decoded JSON value; objects are dicts with str keys, non-integral numbers Decimals.
JsonValue: TypeAlias = (
    bool | int | Decimal | str | list["JsonValue"] | dict[str, "JsonValue"] | None
)

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 64
MAX_INTEGER = 2**53 - 1
MIN_EXPONENT = -400
_EXCERPT = 40


class UndecodableError(InvalidInputError):
    """Input that is not bounded I-JSON; ``reason`` says what, and ``field`` where."""

    code = "invalid-json"
    title = "Invalid JSON"

    def __init__(self, reason: str, field: str = "body") -> None:
        super().__init__(f"{field}: {reason}", (FieldError(field, reason),))
        self.reason = reason


class TooLargeError(UndecodableError):
    code = "content-too-large"
    title = "Content too large"


@dataclass(frozen=True, slots=True)
class JsonLimits:
    """The bounds of one kind of input (documented with the route or record it belongs to)."""

    max_bytes: int
    max_depth: int = MAX_DEPTH


class _Refused(Exception):
    """Raised from inside the scanner's hooks; becomes UndecodableError."""


def excerpt(text: str) -> str:
    """A short, ASCII-only quotation of input, safe in any error message or log line."""
    quoted = ascii(text[:_EXCERPT])
    return quoted if len(text) <= _EXCERPT else quoted[:-1] + "..." + quoted[-1]


def _literal(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number literal longer than {MAX_NUMBER_CHARS} characters")


def _integer(text: str) -> int:
    _literal(text)
    value = int(text)
    if not -MAX_INTEGER <= value <= MAX_INTEGER:
        raise _Refused(f"an integer beyond +/-{MAX_INTEGER} (I-JSON's exact range)")
    return value


def _decimal(text: str) -> Decimal:
    _literal(text)
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a JSON number literal is always finite
    # The exponent first: a comparison of 1e-999999 would be cheap, but not its arithmetic.
    if exponent < MIN_EXPONENT or value.adjusted() > 16 or abs(value) > MAX_INTEGER:
        raise _Refused(f"the number {excerpt(text)} is out of range")
    return value


def _constant(name: str) -> None:
    raise _Refused(f"{name} is not a JSON number")


def _object(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"the member name {excerpt(key)} appears twice in an object")
            seen.add(key)
    return obj


# Two decoders that accept exactly the same: the checked one converts every number through
# the checks above; the fast one (about half the cost) leaves numbers to the C scanner and is
# used only when no literal in the text can break a bound: no exponent, no integer part of
# 16 or more digits (so every number is below 10**16) and no literal past 64 characters.
_CHECKED = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_integer, parse_float=_decimal, parse_constant=_constant
)
_FAST = json.JSONDecoder(object_pairs_hook=_object, parse_float=Decimal, parse_constant=_constant)


def _table(groups: dict[bytes, bytes], other: bytes) -> bytes:
    table = bytearray(other * 256)
    for members, shape in groups.items():
        for member in members:
            table[member] = shape[0]
    return bytes(table)


# Byte-level views of the text, searched in C (a regular expression costs more than the
# decoding it would save). Shapes: digits "0", exponent letters "e", signs "-", the points,
# and ":" for every byte a number may follow (":", ",", "[", white space); all else "x", so
# that a hexadecimal id in a string ("5e2c") never looks like a number.
_SHAPES = _table(
    {b"0123456789": b"0", b".": b".", b"eE": b"e", b"+-": b"-", b":,[ \t\n\r": b":"}, b"x"
)
_LITERALS = _table({b"0123456789.eE+-": b"0"}, b"x")
_TOO_LONG = b"0" * (MAX_NUMBER_CHARS + 1)
_LONG_INTEGER = (b":" + b"0" * 16, b":-" + b"0" * 16)


def _needs_checks(data: bytes) -> bool:
    if _TOO_LONG in data.translate(_LITERALS):
        return True  # a literal (or a string that looks like one) past the length limit
    shape = b":" + data.translate(_SHAPES)
    if _LONG_INTEGER[0] in shape or _LONG_INTEGER[1] in shape:
        return True
    # An exponent is a run of digits, points and signs from ":" to an "e": with those deleted,
    # ":e". In a string an opening quote ("x") stands between.
    return b":e" in shape.translate(None, b"0.-")


# A lone surrogate can only come from a \u escape: strict UTF-8 decoding refuses encoded ones.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _depth_within(data: bytes, max_depth: int) -> bool:
    """Whether the brackets of the JSON text ``data`` (outside its strings) nest at most
    ``max_depth`` deep: found in C (innermost pairs removed, one level a pass) before the
    scanner builds anything, so a deep input costs its length and not a value per level."""
    shape = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        if not shape:
            return True
        left = len(shape)
        shape = shape.replace(b"[]", b"").replace(b"{}", b"")
        if len(shape) == left:
            return False  # unbalanced: not JSON either, refused as too deep
    return not shape


def decode_json(data: bytes | str, limits: JsonLimits, field: str = "body") -> JsonValue:
    """The JSON value of ``data`` within ``limits``; UndecodableError (``field`` names the
    input in the error) for anything else."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            raise UndecodableError("text with a lone surrogate", field) from None
    if len(data) > limits.max_bytes:
        raise TooLargeError(f"larger than {limits.max_bytes} bytes", field)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UndecodableError(f"not UTF-8 (byte {exc.start})", field) from None
    deep = text.count("[") + text.count("{") > limits.max_depth
    if deep and not _depth_within(data, limits.max_depth):
        raise UndecodableError(f"nested deeper than {limits.max_depth} levels", field)
    try:
        decoder = _CHECKED if _needs_checks(data) else _FAST
        value: JsonValue = decoder.decode(text)
    except _Refused as exc:
        raise UndecodableError(str(exc), field) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise UndecodableError(f"not JSON: {exc.msg} at {where}", field) from None
    # A lone surrogate can only come from an escape; the common text has none to look for.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None:
        _check_strings(value, field)
    return value


def _check_strings(value: JsonValue, field: str) -> None:
    """Refuse a lone surrogate in any string or member name of ``value`` (an explicit
    stack: the value's depth is already bounded)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            _check_text(node, field)
        elif isinstance(node, dict):
            for key, child in node.items():
                _check_text(key, field)
                stack.append(child)
        elif isinstance(node, list):
            stack.extend(node)


def _check_text(text: str, field: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise UndecodableError("text with a lone surrogate", field) from None


def _ignore(_: str) -> None:
    return None


# Finds where each item of a batch begins and ends, converting nothing and refusing nothing
# but broken syntax: the items are then decoded one by one, each within its own limits.
_SPANS = json.JSONDecoder(parse_int=_ignore, parse_float=_ignore, parse_constant=_ignore)
_SPACE = re.compile(r"[ \t\n\r]*")


def decode_items(
    data: bytes, limits: JsonLimits, item_limits: JsonLimits, *, key: str, max_items: int
) -> Iterator[JsonValue | UndecodableError]:
    """The items of a batch: a JSON array, or the array under ``key`` of a JSON object.

    The text as a whole must be UTF-8 JSON within ``limits`` (size; syntax; no item nested
    deeper than ``limits.max_depth``; an envelope's other members within every rule), else
    UndecodableError, and a batch of at most ``max_items`` items, else InvalidInputError
    (field ``body``), both raised at once. The
    items are then decoded one at a time, as they are taken, each on its own within
    ``item_limits``: an item that breaks a rule (a lone surrogate, a duplicate key, a number
    out of range, nesting) comes as its own UndecodableError and never refuses its
    neighbours.
    """
    if len(data) > limits.max_bytes:
        raise TooLargeError(f"larger than {limits.max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UndecodableError(f"not UTF-8 (byte {exc.start})") from None
    try:
        spans = _batch_spans(text, key, limits, max_items)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise UndecodableError(f"not JSON: {exc.msg} at {where}") from None
    except RecursionError:  # deeper than the scanner goes: past every limit anyway
        raise UndecodableError(f"an item nested deeper than {limits.max_depth} levels") from None
    return _items(text, spans, item_limits)


def _items(
    text: str, spans: list[tuple[int, int]], limits: JsonLimits
) -> Iterator[JsonValue | UndecodableError]:
    for index, (start, end) in enumerate(spans):
        field = f"[{index}]"
        try:
            yield decode_json(text[start:end], limits, field)
        except UndecodableError as exc:
            # A new error, never raised: no traceback keeps the item's frames alive.
            yield UndecodableError(exc.reason, field)


def _batch_spans(text: str, key: str, limits: JsonLimits, max_items: int) -> list[tuple[int, int]]:
    at = _skip_space(text, 0)
    if text.startswith("[", at):
        spans, at = _array_spans(text, at, limits, max_items)
    elif text.startswith("{", at):
        spans, at = _member_spans(text, at, key, limits, max_items)
    else:
        raise _not_a_batch(f"neither an array of items nor an object with {key!r}")
    if _skip_space(text, at) != len(text):
        raise UndecodableError("more after the batch")
    return spans


def _not_a_batch(reason: str) -> InvalidInputError:
    """JSON, but not the shape of a batch."""
    return InvalidInputError(f"body: {reason}", (FieldError("body", reason),))


def _skip_space(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    assert found is not None  # the pattern matches the empty string too
    return found.end()


def _next(text: str, at: int, expected: str) -> tuple[str, int]:
    """The punctuation at ``at`` (after white space), which must be one of ``expected``."""
    at = _skip_space(text, at)
    if at >= len(text) or text[at] not in expected:
        raise json.JSONDecodeError(f"expecting one of {expected!r}", text, at)
    return text[at], at + 1


def _span(text: str, at: int, limits: JsonLimits) -> int:
    """Where the value starting at ``at`` ends; UndecodableError when it is nested deeper
    than ``limits`` allow, so a batch of deep items costs one item, not all of them."""
    _, end = _SPANS.raw_decode(text, at)
    brackets = text.count("[", at, end) + text.count("{", at, end)
    if brackets > limits.max_depth and not _depth_within(text[at:end].encode(), limits.max_depth):
        raise UndecodableError(f"an item nested deeper than {limits.max_depth} levels")
    return end


def _array_spans(
    text: str, at: int, limits: JsonLimits, max_items: int
) -> tuple[list[tuple[int, int]], int]:
    """The spans of the items of the array opening at ``at``, and where the array ends."""
    spans: list[tuple[int, int]] = []
    at = _skip_space(text, at + 1)
    if text.startswith("]", at):
        return spans, at + 1
    while True:
        if len(spans) == max_items:  # refused before the rest is even scanned
            raise _not_a_batch(f"more than {max_items} items")
        end = _span(text, at, limits)
        spans.append((at, end))
        mark, at = _next(text, end, ",]")
        if mark == "]":
            return spans, at
        at = _skip_space(text, at)


def _member_spans(
    text: str, at: int, key: str, limits: JsonLimits, max_items: int
) -> tuple[list[tuple[int, int]], int]:
    """The item spans of the array under ``key`` in the object opening at ``at``; the
    object's other members are held to every rule of ``decode_json``, though unused."""
    spans: list[tuple[int, int]] | None = None
    names: set[str] = set()
    mark, at = _next(text, at + 1, '"}')
    while mark != "}":
        name, at = _SPANS.raw_decode(text, at - 1)  # the member name, from its quote
        _check_text(name, "body")
        if name in names:
            raise UndecodableError(f"the member name {excerpt(name)} appears twice in an object")
        names.add(name)
        _, at = _next(text, at, ":")
        at = _skip_space(text, at)
        if name == key:
            if not text.startswith("[", at):
                raise _not_a_batch(f"{key!r} is not an array")
            spans, at = _array_spans(text, at, limits, max_items)
        else:
            end = _span(text, at, limits)
            decode_json(text[at:end], limits)  # another member: unused, but not unbounded
            at = end
        mark, at = _next(text, at, ",}")
        if mark == ",":
            mark, at = _next(text, at, '"')
    if spans is None:
        raise _not_a_batch(f"an object without {key!r}")
    return spans, at
