"""Property-based tests of every decoder and parser at the edge: whatever comes in gives a
typed value or the domain's own validation error, never another exception, and never takes
long (each example has a deadline)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from adapters.http.stocks import HttpRatesProvider
from adapters.jwt.trivia import DevIdentityProvider
from domain.leaderboards.errors import InvalidLeaderboardRequestError
from domain.leaderboards.model import check_board_key, check_member, check_score
from domain.races.errors import PoisonRecordError
from domain.races.model import MAX_ID, DeviceMessage, RaceRules, decode_message, parse_message
from domain.shared import decoding
from domain.shared.decoding import (
    MAX_INTEGER,
    JsonLimits,
    UndecodableError,
    decode_items,
    decode_json,
)
from domain.shared.errors import InvalidInputError
from domain.stocks.errors import InvalidStockRequestError, RatesUnavailableError
from domain.stocks.model import validate_request
from domain.trivia.errors import InvalidCursorError, InvalidTokenError
from domain.trivia.intake import PoisonEventError, parse_event
from domain.trivia.market import checked_price, checked_request_token
from domain.trivia.model import answers_by_number, checked_quiz, parse_page_cursor
from domain.trivia.progress import ExperienceEarned, ScoreRecorded
from entrypoints.aws_lambda.archives import archive_lines
from entrypoints.http.models.games import AnswersInput
from entrypoints.http.models.market import GrantInput, ListingInput
from entrypoints.http.models.orders import PlaceOrderInput
from entrypoints.http.models.trivia import QuizInput

EDGE = settings(
    max_examples=150,
    deadline=timedelta(seconds=1),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
LIMITS = JsonLimits(max_bytes=64 * 1024)
RULES = RaceRules()

# -- what comes in --------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
json_values = st.recursive(
    scalars | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
plain_json = st.recursive(
    scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
number_literals = st.from_regex(
    r"-?[0-9]{1,400}(\.[0-9]{1,60})?([eE][-+]?[0-9]{1,9})?", fullmatch=True
)
hostile_fragments = st.one_of(
    number_literals,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e300000", "-0", "0e99999", "9" * 5000]),
    st.from_regex(r'"(\\u[dD][89a-fA-F][0-9a-fA-F]{2}|[a-z²٣]){0,6}"', fullmatch=True),
    st.integers(0, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(0, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.text(max_size=6).map(lambda k: json.dumps({k: 1})[:-1] + f",{json.dumps(k)}:2}}"),
    plain_json.map(json.dumps),
)


def splice(document: dict[str, Any], fragment: str) -> st.SearchStrategy[str]:
    """``document`` as JSON with one of its values replaced by the raw ``fragment``."""
    return st.sampled_from(sorted(document)).map(
        lambda key: json.dumps({k: ("@@" if k == key else v) for k, v in document.items()}).replace(
            '"@@"', fragment
        )
    )


texts = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    hostile_fragments,
    plain_json.map(json.dumps),
)
MESSAGE = {
    "classId": 1, "raceId": 5, "racerId": 7, "second": 3, "cadence": 80,
    "resistance": 78, "name": "Ann", "uuid": "u-1", "event": "update",
}  # fmt: skip
messages = hostile_fragments.flatmap(lambda fragment: splice(MESSAGE, fragment))


def is_json_value(value: object, depth: int = 1) -> bool:
    """A value of the decoder's documented types and bounds."""
    if value is None or isinstance(value, bool | Decimal):
        return depth <= 33
    if isinstance(value, int):
        return abs(value) <= MAX_INTEGER
    if isinstance(value, str):
        value.encode("utf-8")  # raises on a lone surrogate
        return True
    if isinstance(value, list):
        return depth <= 32 and all(is_json_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return depth <= 32 and all(
            isinstance(k, str) and is_json_value(k) and is_json_value(v, depth + 1)
            for k, v in value.items()
        )
    return False


# -- the decoder ----------------------------------------------------------------------------


@EDGE
@given(st.one_of(texts, messages))
def test_the_decoder_gives_bounded_json_or_its_error(data: str | bytes) -> None:
    try:
        value = decode_json(data, LIMITS)
    except UndecodableError as exc:
        reason = exc.reason
    else:
        assert is_json_value(value)
        return
    assert reason.isascii()  # safe to show and to log, whatever came in


@EDGE
@given(json_values)
def test_what_the_decoder_accepts_reads_back_exactly(value: Any) -> None:
    text = json.dumps(value, default=str)  # Decimals become strings: still exact
    try:
        decoded = decode_json(text, LIMITS)
    except UndecodableError:
        return  # e.g. an integer beyond 2**53: refused, not rounded
    assert decoded == json.loads(text, parse_float=Decimal)


number_literals = st.from_regex(
    r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][-+]?[0-9]{1,4})?", fullmatch=True
)


@EDGE
@given(st.lists(number_literals, min_size=1, max_size=4))
@example(["12345678901234567.5"])  # a float past 2**53: refused by both
@example(["83.27000000000000001", "1" + "0" * 15])
def test_the_fast_decoder_is_taken_only_where_it_decides_as_the_checked_one(
    literals: list[str],
) -> None:
    data = ("[" + ",".join(literals) + "]").encode()
    if decoding._needs_checks(data):
        return

    def outcome(decoder: Any) -> Any:
        try:
            return decoder.decode(data.decode())
        except Exception as exc:  # either decoder's refusal: compared by kind
            return type(exc)

    assert outcome(decoding._FAST) == outcome(decoding._CHECKED)


@EDGE
@given(st.lists(st.one_of(messages, hostile_fragments), max_size=6), st.booleans())
def test_a_batch_gives_each_item_or_its_own_error(items: list[str], envelope: bool) -> None:
    body = "[" + ",".join(items) + "]"
    if envelope:
        body = '{"other": [1], "messages": ' + body + "}"
    try:
        decoded = list(
            decode_items(body.encode(), LIMITS, JsonLimits(4096), key="messages", max_items=5)
        )
    except InvalidInputError:  # UndecodableError included
        return
    assert len(decoded) == len(items)
    for one in decoded:
        assert isinstance(one, UndecodableError) or is_json_value(one)


# -- device messages ------------------------------------------------------------------------


def check_message(message: DeviceMessage) -> None:
    assert message.class_id in RULES.classes
    assert 0 <= message.race_id <= MAX_ID
    assert 0 <= message.racer_id <= MAX_ID
    assert 1 <= message.second <= RULES.race_seconds
    assert 0 <= message.cadence <= 250
    assert 0 <= message.resistance <= 100
    assert message.name is None or len(message.name) <= 128
    message.output.quantize(Decimal("0.01"))  # every later conversion stays cheap


@EDGE
@given(st.one_of(messages, texts))
def test_a_device_message_is_typed_and_in_range_or_poison(data: str | bytes) -> None:
    try:
        message = decode_message(data, RULES)
    except PoisonRecordError:
        return
    check_message(message)


@EDGE
@given(st.one_of(json_values, st.fixed_dictionaries({k: json_values for k in MESSAGE})))
def test_any_decoded_value_is_a_message_or_poison(raw: Any) -> None:
    try:
        message = parse_message(raw, RULES)
    except PoisonRecordError:
        return
    check_message(message)


@EDGE
@given(st.one_of(st.binary(max_size=300), messages.map(str.encode)), st.booleans())
def test_an_archive_gives_lines_or_is_poison(body: bytes, zipped: bool) -> None:
    data = gzip.compress(body) if zipped else body
    try:
        lines = list(archive_lines(data))
    except PoisonRecordError:
        return
    assert all(isinstance(line, bytes) for line in lines)


# -- trivia events, cursors, tokens ---------------------------------------------------------

EVENT = {
    "eventId": "e1", "name": "trivia.score-recorded", "quizId": "q", "player": "ann",
    "score": "50.00", "policy": "best", "first": True, "achievedAt": 1, "author": "bob",
    "experience": 2,
}  # fmt: skip


@EDGE
@given(
    st.one_of(
        texts.map(lambda t: t if isinstance(t, str) else t.decode("utf-8", "replace")),
        hostile_fragments.flatmap(lambda fragment: splice(EVENT, fragment)),
    )
)
def test_an_event_is_typed_or_poison(message: str) -> None:
    try:
        event = parse_event(message)
    except PoisonEventError:
        return
    for kind in (ScoreRecorded, ExperienceEarned):
        try:
            kind.of(event.payload)
        except InvalidInputError:
            continue


@EDGE
@given(st.text(max_size=100))
def test_a_cursor_is_a_position_or_refused(cursor: str) -> None:
    try:
        created, item_id = parse_page_cursor(cursor)
    except InvalidCursorError:
        return
    assert 0 <= created < 10**15
    assert item_id


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> DevIdentityProvider:
    return DevIdentityProvider(Path(tmp_path_factory.mktemp("key")) / "key.pem")


@EDGE
@given(st.one_of(st.text(max_size=200), st.text(max_size=20).map(lambda t: t * 1000)))
def test_a_token_names_a_player_or_is_refused(identity: DevIdentityProvider, token: str) -> None:
    try:
        user = asyncio.run(identity.verify(token))
    except InvalidTokenError:
        return
    assert user  # only a token this provider signed gets here


# -- stocks and leaderboards parameters -----------------------------------------------------


@EDGE
@given(st.text(max_size=30), st.lists(st.text(max_size=6), max_size=40))
def test_stock_parameters_are_valid_or_refused(stock_id: str, currencies: list[str]) -> None:
    try:
        codes = validate_request(stock_id, currencies)
    except InvalidStockRequestError:
        return
    assert 1 <= len(codes) <= 32


@EDGE
@given(st.text(max_size=140), st.one_of(st.text(max_size=40), st.integers(), st.decimals()))
def test_leaderboard_keys_and_scores_are_valid_or_refused(key: str, score: Any) -> None:
    for check, value in ((check_board_key, key), (check_member, key), (check_score, score)):
        try:
            check(value)
        except InvalidLeaderboardRequestError:
            continue


@EDGE
@given(st.binary(max_size=300) | plain_json.map(lambda v: json.dumps(v).encode()))
def test_a_rates_answer_is_rates_or_unavailable(body: bytes) -> None:
    try:
        HttpRatesProvider._parse(body, "EUR")
    except RatesUnavailableError:
        return


# -- the HTTP edge's request models, then the domain's rules --------------------------------

QUIZ = {
    "name": "Q", "category": "c",
    "questions": [{"text": "t", "options": ["a", "b"], "correct": 1}, {"text": "u", "answer": "x"}],
}  # fmt: skip
ORDER = {"requestToken": "t", "userId": "u", "items": [{"productId": "ITEM001", "quantity": 1}]}

REQUESTS: list[tuple[type[BaseModel], dict[str, Any], Callable[[Any], object]]] = [
    (QuizInput, QUIZ, lambda q: checked_quiz(q.content())),
    (PlaceOrderInput, ORDER, lambda o: o.command()),
    (AnswersInput, {"responses": [{"questionNumber": 1, "answer": 0}]},
     lambda a: answers_by_number(a.answers(), 4)),
    (GrantInput, {"requestToken": "r"}, lambda g: checked_request_token(g.request_token)),
    (ListingInput, {"quizId": "demo-1", "price": "5"}, lambda lst: checked_price(lst.price)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("model", "sample", "rules"), REQUESTS, ids=lambda r: getattr(r, "__name__", "")
)
@EDGE
@given(data=st.data())
def test_a_request_body_is_a_command_or_a_422(
    model: type[BaseModel],
    sample: dict[str, Any],
    rules: Callable[[Any], object],
    data: st.DataObject,
) -> None:
    text = data.draw(st.one_of(texts, hostile_fragments.flatmap(lambda f: splice(sample, f))))
    try:
        valid = model.model_validate(decode_json(text, LIMITS))
        rules(valid)
    except (UndecodableError, ValidationError, InvalidInputError):
        return


def test_the_samples_are_accepted() -> None:
    """The properties above start from bodies that are valid, so the splices test the edge."""
    for model, sample, rules in REQUESTS:
        rules(model.model_validate(decode_json(json.dumps(sample), LIMITS)))
    assert decode_message(json.dumps(MESSAGE), RULES).racer_id == 7
    assert parse_event(json.dumps(EVENT)).event_id == "e1"
