"""Hostile input against ``portside serve`` on the embedded default, as an outside tester
sends it: every class of input that once did lasting harm is answered with a 4xx (or, for a
batch of device messages, rejected message by message), within a second, without growing
the server by more than a few times the body limit, and without changing what any other
user reads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.races.model import RaceRules
from tests.support.services import Service, base_env, run_portside, start_portside

JSON = "application/json"
RACE = RaceRules().slot(time.time_ns() // 1_000_000)  # the race of the current slot
MESSAGE = {"classId": 1, "raceId": RACE, "second": 1, "cadence": 80, "resistance": 78}
QUIZ = {
    "name": "Bridges",
    "category": "engineering",
    "questions": [
        {"text": "Longest span?", "options": ["Akashi", "Golden Gate"], "correct": 0},
        {"text": "City of the Golden Gate?", "answer": "San Francisco"},
    ],
}


@dataclass
class Stack:
    server: Service
    url: str
    tokens: dict[str, str]
    quiz: str
    order: str

    def client(self, user: str | None = None) -> httpx.Client:
        headers = {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.server.pid}/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )

    def reads(self) -> dict[str, Any]:
        """What the other users see: every read route of theirs, all answering 200."""
        seen: dict[str, Any] = {}
        with self.client("ann") as ann, self.client("bob") as bob, self.client() as anyone:
            for client, path in [
                (ann, "/quizzes/mine"),
                (ann, f"/quizzes/{self.quiz}"),
                (ann, "/games"),
                (ann, "/marketplace"),
                (bob, f"/games/{self.quiz}"),
                (bob, f"/games/{self.quiz}/leaderboard"),
                (bob, "/games/demo-2/leaderboard"),
                (bob, "/players/bob/progress"),
                (bob, "/wallet"),
                (anyone, f"/races/1/{RACE}/live"),
                (anyone, "/classes/1/leaderboard"),
                (anyone, "/classes/1/history"),
                (anyone, f"/orders/{self.order}"),
                (anyone, "/stock/AMZN?currencies=USD"),
                (anyone, "/leaderboards/class-3"),
            ]:
                response = client.get(path)
                assert response.status_code == 200, (path, response.text)
                seen[path] = response.json()
        return seen


def token(user: str) -> str:
    done = run_portside(base_env(), "dev-token", "--user", user)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    server, url = start_portside(base_env())
    tokens = {user: token(user) for user in ("ann", "bob", "mallory")}
    stack = Stack(server, url, tokens, "", "")
    with stack.client("ann") as ann, stack.client("bob") as bob:
        stack.quiz = ann.post("/quizzes", json=QUIZ).json()["quizId"]
        assert ann.post(f"/quizzes/{stack.quiz}/activate").status_code == 200
        listing = {"quizId": stack.quiz, "price": "5"}
        assert ann.post("/marketplace/listings", json=listing).status_code == 201
        play = {"responses": [{"questionNumber": 1, "answer": 0}]}
        assert bob.post(f"/games/{stack.quiz}/answers", json=play).json()["recorded"]
        assert bob.post("/wallet/grants", json={"requestToken": "b1"}).status_code == 201
        racers = [{**MESSAGE, "racerId": r, "name": f"Racer {r}"} for r in (1, 2)]
        assert bob.post("/races/events", json=racers).json()["accepted"] == 2
        order = {"requestToken": "v1", "userId": "victim",
                 "items": [{"productId": "ITEM001", "quantity": 1}]}  # fmt: skip
        stack.order = bob.post("/orders", json=order).json()["orderId"]
        for _ in range(100):  # bounded: the in-process bus delivers the play moments later
            if bob.get(f"/games/{stack.quiz}/leaderboard").json()["total"] == 1:
                break
            time.sleep(0.05)
    yield stack
    server.stop_gracefully()


@pytest.fixture(scope="module")
def before(stack: Stack) -> dict[str, Any]:
    return stack.reads()


def raw(*parts: str) -> bytes:
    return "".join(parts).encode()


def message(**change: Any) -> str:
    return json.dumps({**MESSAGE, "racerId": 9, **change})


# (name, method, path, body, content type, caller, expected status)
HOSTILE: list[tuple[str, str, str, bytes | None, str | None, str | None, int]] = [
    ("lone surrogate in a racer's name", "POST", "/races/events",
     raw("[", message(name="@"), "]").replace(b"@", b"\\ud800"), JSON, None, 202),
    ("lone surrogate in a quiz name", "POST", "/quizzes",
     json.dumps({**QUIZ, "name": "@"}).replace("@", "\\udc00").encode(), JSON, "mallory", 422),
    ("lone surrogate in a question", "POST", "/quizzes",
     json.dumps(QUIZ).replace("Longest span?", "\\ud83d").encode(), JSON, "mallory", 422),
    ("lone surrogate in an answer", "POST", "/games/demo-2/answers",
     b'{"responses": [{"questionNumber": 1, "answer": "\\udfff"}]}', JSON, "mallory", 422),
    ("1e300000 as an order quantity", "POST", "/orders",
     b'{"requestToken": "m1", "userId": "m", "items": [{"productId": "ITEM001", '
     b'"quantity": 1e300000}]}', JSON, None, 422),
    ("1e300000 in a race message", "POST", "/races/events",
     raw("[", message(cadence="@"), "]").replace(b'"@"', b"1e300000"), JSON, None, 202),
    ("a batch of 10,000 1e300000s", "POST", "/races/events",
     raw("[", ",".join([message(second="@")] * 10_000), "]").replace(b'"@"', b"1e300000"),
     JSON, None, 202),
    ("a racer id of 5,000 digits", "POST", "/races/events",
     raw("[", message(racerId="@"), "]").replace(b'"@"', b"9" * 5000), JSON, None, 202),
    ("1,000 nested brackets", "POST", "/orders", b"[" * 1000 + b"]" * 1000, JSON, None, 422),
    ("1,000 nested brackets in a batch", "POST", "/races/events",
     b"[" * 1000 + b"]" * 1000, JSON, None, 422),
    ("a batch of 1,000 items each 900 deep", "POST", "/races/events",
     raw("[", ",".join(["[" * 900 + "]" * 900] * 1000), "]"), JSON, None, 422),
    ("10,000 messages for as many races", "POST", "/races/events",
     json.dumps([{**MESSAGE, "classId": 5, "raceId": RACE - i, "racerId": i}
                 for i in range(10_000)]).encode(), JSON, None, 202),
    ("2 MB to a route that needs a token, without one", "POST", "/quizzes",
     b"x" * 2_000_000, "text/plain", None, 401),
    ("a cursor with a superscript two", "GET", "/games?cursor=%C2%B23.x", None, None, "mallory",
     422),
    ("a 10 MB body", "POST", "/orders", b"[" + b"1," * 5_000_000 + b"1]", JSON, None, 413),
    ("a 10 MB quiz", "POST", "/quizzes", b'"' + b"x" * 10_000_000 + b'"', JSON, "mallory", 413),
    ("JSON as text/plain (a form from another site)", "POST", "/orders",
     b'{"requestToken": "m2", "userId": "m", "items": [{"productId": "ITEM001", '
     b'"quantity": 1}]}', "text/plain", None, 415),
    ("JSON without a content type", "POST", "/wallet/grants", b'{"requestToken": "m3"}', None,
     "mallory", 415),
    ("duplicate keys", "POST", "/wallet/grants",
     b'{"requestToken": "m4", "requestToken": "m5"}', JSON, "mallory", 422),
    ("a body where none is taken", "POST", "/quizzes/demo-1/activate", b"{}", JSON, "mallory",
     415),
    ("an id of 5,000 digits in a path", "GET", "/races/1/" + "9" * 5000 + "/live", None, None,
     None, 422),
    ("a 100 KB bearer token", "GET", "/wallet", None, None, "giant", 401),
    ("not UTF-8", "POST", "/wallet/grants", b'{"requestToken": "\xff\xfe"}', JSON, "mallory",
     422),
    ("NaN as a price", "POST", "/marketplace/listings", b'{"quizId": "demo-1", "price": NaN}',
     JSON, "mallory", 422),
    ("a listing price of 1e-400", "POST", "/marketplace/listings",
     b'{"quizId": "demo-1", "price": 1e-400}', JSON, "mallory", 422),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type", "caller", "status"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_input_is_refused_quickly_and_harms_no_one_else(
    stack: Stack,
    before: dict[str, Any],
    method: str,
    path: str,
    body: bytes | None,
    content_type: str | None,
    caller: str | None,
    status: int,
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    if caller == "giant":
        headers["Authorization"] = "Bearer " + "a" * 100_000
    elif caller is not None:
        headers["Authorization"] = f"Bearer {stack.tokens[caller]}"
    rss = stack.rss_kib()
    started = time.monotonic()
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        response = client.request(method, path, content=body, headers=headers)
    elapsed = time.monotonic() - started
    assert response.status_code == status, response.text
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    else:
        assert response.json()["rejected"] >= 1
    # A few times the largest body limit (4 MiB, the race batch) at the very most.
    assert stack.rss_kib() - rss < 16 * 1024, "the server grew"
    assert stack.reads() == before


def test_a_refused_answer_does_not_use_up_a_first_play(stack: Stack) -> None:
    with stack.client("mallory") as mallory:
        bad = b'{"responses": [{"questionNumber": 1, "answer": "\\ud800"}]}'
        refused = mallory.post(
            f"/games/{stack.quiz}/answers", content=bad, headers={"Content-Type": JSON}
        )
        assert refused.status_code == 422
        play = {"responses": [{"questionNumber": 1, "answer": 0}]}
        scored = mallory.post(f"/games/{stack.quiz}/answers", json=play).json()
        assert (scored["score"], scored["recorded"]) == ("50.00", True)
        for _ in range(100):  # bounded: the board follows the play asynchronously
            board = mallory.get(f"/games/{stack.quiz}/leaderboard").json()
            if board["me"] is not None:
                break
            time.sleep(0.05)
        assert board["me"]["score"] == "50.00"  # the quiz's policy is "first": this one


def test_a_good_message_beside_bad_ones_is_counted(stack: Stack) -> None:
    batch = raw(
        "[", message(racerId=3, name="Good"), ",", message(racerId=4, name="@"), ",",
        message(racerId=5, cadence="@"), ",", message(racerId=6, second=2), "]",
    ).replace(b'"@"', b"1e999").replace(b"@", b"\\ud800")  # fmt: skip
    with stack.client() as anyone:
        answer = anyone.post("/races/events", content=batch, headers={"Content-Type": JSON})
        assert answer.status_code == 202
        body = answer.json()
        assert (body["accepted"], body["rejected"]) == (2, 2)
        assert [e["index"] for e in body["errors"]] == [1, 2]
        live = anyone.get(f"/races/1/{RACE}/live").json()
    assert {r["racerId"] for r in live["racers"]} >= {1, 2, 3, 6}
    assert {r["racerId"] for r in live["racers"]}.isdisjoint({4, 5, 9})


def test_method_and_head_answers_are_right(stack: Stack) -> None:
    with stack.client("ann") as ann:
        wrong = ann.patch(f"/quizzes/{stack.quiz}")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "DELETE, GET, HEAD, PUT"
        assert wrong.headers["content-type"] == "application/problem+json"
        head = ann.head("/games")
        get = ann.get("/games")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == get.headers["content-length"]
        assert ann.head("/orders").status_code == 405
