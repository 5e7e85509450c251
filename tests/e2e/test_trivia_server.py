"""Trivia over HTTP on the embedded default, as a new user runs it: ``portside serve`` and
tokens from ``portside dev-token``."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from adapters.jwt.trivia import DevIdentityProvider
from entrypoints.http.models.games import ScoredPlayBody
from tests.support.services import (
    DEV_KEY_FILE,
    base_env,
    boto_client,
    run_portside,
    start_portside,
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process, url = start_portside(base_env())
    yield url
    process.stop_gracefully()


def token(user: str) -> str:
    done = run_portside(base_env(), "dev-token", "--user", user)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # the token alone
    return done.stdout.strip()


def as_user(url: str, user: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token(user)}"})


QUIZ = {
    "name": "Bridges",
    "category": "engineering",
    "questions": [
        {"text": "Longest suspension span?", "options": ["Akashi", "Golden Gate"], "correct": 0},
        {"text": "City of the Golden Gate?", "answer": "San Francisco", "alternatives": ["SF"]},
    ],
}


def test_a_player_lists_plays_and_sees_the_answers_only_after(server: str) -> None:
    with as_user(server, "ann") as ann:
        games = ann.get("/games").json()
        assert {g["quizId"] for g in games["games"]} >= {"demo-1", "demo-2", "demo-3"}
        assert games["cursor"] is None
        geography = ann.get("/games", params={"category": "geography"}).json()["games"]
        assert [g["name"] for g in geography] == ["Capitals"]
        shown = ann.get("/games/demo-2")
        assert shown.status_code == 200
        for hidden in ("Canberra", "Bern", "Berne", '"correct"', "answer", "followUp", "federal"):
            assert hidden not in shown.text
        assert [q["number"] for q in shown.json()["questions"]] == [1, 2, 3, 4]
        responses = [
            {"questionNumber": 1, "answer": "canberra "},
            {"questionNumber": 2, "answer": 1},
            {"questionNumber": 3, "answer": "Zurich"},
        ]
        played = ann.post("/games/demo-2/answers", json={"responses": responses})
        assert played.status_code == 200
        body = played.json()
        assert (body["score"], body["correct"], body["total"]) == ("50.00", 2, 4)
        assert [a["answer"] for a in body["answers"]] == ["Canberra", 1, "Bern", 2]
        assert body["answers"][2]["followUp"] == "Officially the 'federal city'."
        assert body["recorded"] is True
        # The route writes this JSON itself (its hot path); it must be the documented model.
        assert ScoredPlayBody.model_validate(body).model_dump(mode="json") == body


def test_moments_after_a_play_the_player_is_on_the_board_with_experience(server: str) -> None:
    with as_user(server, "dave") as dave, as_user(server, "erin") as erin:
        before = erin.get("/players/portside/progress").json()["experience"]
        responses = [
            {"questionNumber": 1, "answer": 2},
            {"questionNumber": 2, "answer": "dynamodb"},
        ]
        assert dave.post("/games/demo-1/answers", json={"responses": responses}).status_code == 200
        for _ in range(50):  # bounded: the in-process bus delivers within milliseconds
            board = dave.get("/games/demo-1/leaderboard").json()
            if board["me"] is not None:
                break
            time.sleep(0.05)
        assert board["me"]["member"] == "dave"
        assert board["me"]["score"] == "66.67"
        assert "dave" in [e["member"] for e in board["entries"]]
        progress = erin.get("/players/dave/progress").json()  # anyone may read it
        assert progress == {"username": "dave", "experience": 2, "level": 0, "wins": 0}
        royalty = erin.get("/players/portside/progress").json()["experience"]
        assert royalty == before + 2  # the author earns the player's experience


def test_authors_own_their_quizzes_and_identity_comes_only_from_the_token(server: str) -> None:
    with as_user(server, "ann") as ann, as_user(server, "bob") as bob:
        # A body that tries to set the owner changes nothing: the token says who.
        made = ann.post("/quizzes", json={**QUIZ, "owner": "bob", "author": "bob"})
        assert made.status_code == 201
        quiz = made.json()
        assert quiz["owner"] == "ann"
        quiz_id = quiz["quizId"]
        assert [q["quizId"] for q in ann.get("/quizzes/mine").json()["quizzes"]] == [quiz_id]
        assert bob.get("/quizzes/mine").json() == {"quizzes": []}
        assert ann.get(f"/quizzes/{quiz_id}").json()["questions"][0]["correct"] == 0
        for response in (
            bob.get(f"/quizzes/{quiz_id}"),
            bob.put(f"/quizzes/{quiz_id}", json=QUIZ),
            bob.delete(f"/quizzes/{quiz_id}"),
            bob.post(f"/quizzes/{quiz_id}/activate"),
        ):
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
            assert "Golden Gate" not in response.text
        assert bob.get(f"/games/{quiz_id}").status_code == 404  # not active yet
        assert ann.post(f"/quizzes/{quiz_id}/activate").json()["active"] is True
        listed = bob.get("/games", params={"category": "engineering"}).json()["games"]
        assert listed == [
            {"quizId": quiz_id, "name": "Bridges", "category": "engineering", "author": "ann"}
        ]
        own = ann.post(f"/games/{quiz_id}/answers", json={"responses": []}).json()
        assert own["recorded"] is False  # an author's own play is scored, not recorded
        assert ann.delete(f"/quizzes/{quiz_id}").status_code == 204
        assert bob.get(f"/games/{quiz_id}").status_code == 404


def test_invalid_quizzes_and_responses_get_422_naming_the_field(server: str) -> None:
    with as_user(server, "ann") as ann:
        bad = ann.post("/quizzes", json={**QUIZ, "name": "", "questions": [{"options": ["a"]}]})
        assert bad.status_code == 422
        fields = {e["field"] for e in bad.json()["errors"]}
        assert fields == {"name", "questions[0].text", "questions[0].options"}
        # The rules between fields are checked once every field is well formed.
        rule = ann.post(
            "/quizzes", json={**QUIZ, "questions": [{"text": "q", "options": ["a", "b"]}]}
        )
        assert rule.status_code == 422
        assert [e["field"] for e in rule.json()["errors"]] == ["questions[0].correct"]
        json_text = {"Content-Type": "application/json"}
        assert ann.post("/quizzes", content=b"{not json", headers=json_text).status_code == 422
        assert ann.post("/quizzes", content=b"{not json").status_code == 415
        wrong = ann.post("/games/demo-1/answers", json={"responses": [{"questionNumber": 7}]})
        assert wrong.status_code == 422
        assert ann.get("/games", params={"cursor": "nonsense"}).status_code == 422


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic YW5uOnNlY3JldA==",
        "Bearer not-a-jwt",
    ],
)
def test_every_trivia_route_needs_a_valid_token(server: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    listing = "0" * 32
    for method, path, body in [
        ("GET", "/games", None),
        ("GET", "/games/demo-1", None),
        ("POST", "/games/demo-1/answers", {"responses": []}),
        ("POST", "/quizzes", QUIZ),
        ("GET", "/quizzes/mine", None),
        ("GET", "/quizzes/demo-1", None),
        ("POST", "/quizzes/demo-1/activate", None),
        ("GET", "/games/demo-1/leaderboard", None),
        ("GET", "/players/ann/progress", None),
        ("GET", "/wallet", None),
        ("POST", "/wallet/grants", {"requestToken": "r"}),
        ("POST", "/marketplace/listings", {"quizId": "demo-1", "price": "1"}),
        ("GET", "/marketplace", None),
        ("GET", f"/marketplace/listings/{listing}", None),
        ("DELETE", f"/marketplace/listings/{listing}", None),
        ("POST", f"/marketplace/listings/{listing}/purchase", None),
    ]:
        response = httpx.request(method, server + path, headers=headers, json=body)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_the_dev_provider_publishes_its_key_and_its_tokens_verify_with_it(server: str) -> None:
    jwks = httpx.get(f"{server}/.well-known/jwks.json").json()
    (key,) = jwks["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    minted = token("carol")
    public = jwt.PyJWK(key).key
    claims = jwt.decode(minted, public, algorithms=["RS256"], audience="portside")
    assert claims["cognito:username"] == claims["sub"] == "carol"
    assert (claims["iss"], claims["token_use"], claims["exp"] - claims["iat"]) == (
        "portside-dev", "id", 3600
    )  # fmt: skip
    # The same claims, unsigned, are refused.
    unsigned = jwt.encode(claims, None, "none", headers={"kid": key["kid"]})
    assert (
        httpx.get(f"{server}/games", headers={"Authorization": f"Bearer {unsigned}"}).status_code
        == 401
    )


def test_dev_tokens_are_refused_when_a_real_issuer_is_configured() -> None:
    real = {
        "AUTH_JWKS_URL": "http://127.0.0.1:9/jwks.json",
        "AUTH_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
        "AUTH_AUDIENCE": "client",
    }
    done = run_portside(base_env(**real), "dev-token", "--user", "ann")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "refused" in done.stderr


def test_with_trivia_table_quizzes_and_progress_live_in_dynamodb(aws_env: dict[str, str]) -> None:
    env = base_env(**aws_env, TRIVIA_TABLE=f"trivia-{uuid.uuid4().hex[:8]}")
    made = run_portside(env, "init-aws", "--demo-data")
    assert made.returncode == 0, made.stderr
    assert "6 demo quizzes written" in made.stdout  # 3 single-player, 3 hosted
    process, url = start_portside(env)
    try:
        with as_user(url, "host") as host:  # the hosted demo quizzes, in the table
            mine = {q["quizId"]: q["mode"] for q in host.get("/quizzes/mine").json()["quizzes"]}
            assert mine == {"demo-casual": "casual", "demo-competitive": "competitive",
                            "demo-live": "live"}  # fmt: skip
        with as_user(url, "gwen") as gwen:
            quiz_id = gwen.post("/quizzes", json=QUIZ).json()["quizId"]
            assert gwen.post(f"/quizzes/{quiz_id}/activate").status_code == 200
            assert next(g["quizId"] for g in gwen.get("/games").json()["games"]) == quiz_id
            responses = [{"questionNumber": 1, "answer": 0}, {"questionNumber": 2, "answer": "sf"}]
            assert (
                gwen.post("/games/demo-3/answers", json={"responses": responses}).json()["score"]
                == "0.00"
            )
        with as_user(url, "hal") as hal:
            played = hal.post(f"/games/{quiz_id}/answers", json={"responses": responses})
            assert played.json()["score"] == "100.00"
            for _ in range(50):  # bounded
                if hal.get("/players/gwen/progress").json()["experience"] == 2:
                    break
                time.sleep(0.05)
            assert hal.get("/players/gwen/progress").json()["experience"] == 2  # royalty
            assert hal.get("/players/hal/progress").json()["experience"] == 2
    finally:
        process.stop_gracefully()
    # The quizzes outlive the server: they are in the table.
    process, url = start_portside(env)
    try:
        with as_user(url, "gwen") as gwen:
            assert [q["quizId"] for q in gwen.get("/quizzes/mine").json()["quizzes"]] == [quiz_id]
    finally:
        process.stop_gracefully()


def test_events_through_sns_and_sqs_are_consumed_by_the_container_consumer(
    aws_env: dict[str, str],
) -> None:
    suffix = uuid.uuid4().hex[:8]
    sns, sqs = boto_client("sns", aws_env), boto_client("sqs", aws_env)
    topic = sns.create_topic(Name=f"trivia-{suffix}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"trivia-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"])
    env = base_env(**aws_env, TRIVIA_TABLE=f"trivia-{suffix}", TRIVIA_TOPIC_ARN=topic)
    assert run_portside(env, "init-aws", "--demo-data").returncode == 0
    process, url = start_portside(env)
    try:
        with as_user(url, "ivy") as ivy:
            responses = [{"questionNumber": 1, "answer": "au"}, {"questionNumber": 2, "answer": 1}]
            for _ in range(2):  # two plays: the first counts on the board (policy first)
                assert ivy.post("/games/demo-3/answers", json={"responses": responses}).json()[
                    "recorded"
                ]
                responses = responses[:1]
            time.sleep(0.5)
            assert ivy.get("/players/ivy/progress").json()["experience"] == 0  # not consumed yet
            consumed = run_portside(
                env, "consume", "trivia", "--queue-url", queue, "--until-idle", "2"
            )
            assert consumed.returncode == 0, consumed.stderr[-2000:]
            assert consumed.stdout.startswith("received 4 messages, handled 4")
            assert ivy.get("/players/ivy/progress").json()["experience"] == 3
            board = ivy.get("/games/demo-3/leaderboard").json()
            assert (board["me"]["member"], board["me"]["score"]) == ("ivy", "100.00")
    finally:
        process.stop_gracefully()


def test_wallet_grants_and_a_marketplace_sale(server: str) -> None:
    with as_user(server, "kim") as kim, as_user(server, "lee") as lee:
        assert lee.get("/wallet").json() == {"balance": "0.00"}
        granted = lee.post("/wallet/grants", json={"requestToken": "lee-1"})
        assert granted.status_code == 201
        assert granted.json()["balance"] == granted.json()["granted"] == "200.00"
        again = lee.post("/wallet/grants", json={"requestToken": "lee-1"})  # a retry
        assert (again.status_code, again.json()) == (201, granted.json())
        second = lee.post("/wallet/grants", json={"requestToken": "lee-2"})
        assert second.status_code == 409
        assert second.json()["type"] == "/problems/grant-already-claimed"
        assert lee.get("/wallet").json() == {"balance": "200.00"}
        assert lee.post("/wallet/grants", json={}).status_code == 422

        quiz_id = kim.post("/quizzes", json=QUIZ).json()["quizId"]
        bad = kim.post("/marketplace/listings", json={"quizId": quiz_id, "price": "0"})
        assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (422, ["price"])
        assert (
            lee.post("/marketplace/listings", json={"quizId": quiz_id, "price": "5"}).status_code
            == 403
        )  # not lee's quiz
        made = kim.post("/marketplace/listings", json={"quizId": quiz_id, "price": "75.5"})
        assert made.status_code == 201
        listing = made.json()
        assert (listing["quizId"], listing["price"], listing["seller"]) == (quiz_id, "75.50", "kim")
        listing_id = listing["listingId"]
        shown = lee.get("/marketplace").json()
        assert listing in shown["listings"]
        assert "San Francisco" not in str(shown)  # a listing shows no answers
        assert kim.put(f"/quizzes/{quiz_id}", json=QUIZ).status_code == 409  # listed: frozen

        own = kim.post(f"/marketplace/listings/{listing_id}/purchase")
        assert (own.status_code, own.json()["type"]) == (403, "/problems/own-listing")
        bought = lee.post(f"/marketplace/listings/{listing_id}/purchase")
        assert bought.status_code == 200
        copy_id = bought.json()["quizId"]
        assert bought.json() == {"quizId": copy_id, "balance": "124.50"}
        assert kim.get("/wallet").json() == {"balance": "75.50"}
        copy = lee.get(f"/quizzes/{copy_id}").json()  # a full copy, answers included
        assert (copy["owner"], copy["purchasedFrom"]) == ("lee", quiz_id)
        assert copy["questions"] == kim.get(f"/quizzes/{quiz_id}").json()["questions"]
        assert lee.post(f"/quizzes/{copy_id}/activate").status_code == 200
        assert kim.get(f"/games/{copy_id}").json()["author"] == "lee"

        sold = lee.post(f"/marketplace/listings/{listing_id}/purchase")
        assert (sold.status_code, sold.json()["type"]) == (409, "/problems/listing-unavailable")
        assert lee.post(f"/marketplace/listings/{'0' * 32}/purchase").status_code == 409
        assert lee.get("/wallet").json() == {"balance": "124.50"}
        resale = lee.post("/marketplace/listings", json={"quizId": copy_id, "price": "1"})
        assert (resale.status_code, resale.json()["type"]) == (403, "/problems/resale-not-allowed")

        dear = kim.post("/marketplace/listings", json={"quizId": quiz_id, "price": "500"}).json()
        short = lee.post(f"/marketplace/listings/{dear['listingId']}/purchase")
        assert (short.status_code, short.json()["type"]) == (422, "/problems/insufficient-balance")
        assert lee.get("/wallet").json() == {"balance": "124.50"}
        assert kim.delete(f"/marketplace/listings/{dear['listingId']}").status_code == 204
        assert lee.get(f"/marketplace/listings/{dear['listingId']}").status_code == 404


def twenty_buyers_race_for_one_listing(url: str) -> None:
    """20 players with 200 coins each buy one listing at once: exactly one gets it."""
    dev = DevIdentityProvider(DEV_KEY_FILE)  # the key file `portside dev-token` signs with
    run = uuid.uuid4().hex[:6]
    seller = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {dev.issue('sal')}"})
    buyers = [
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {dev.issue(f'b{run}{n}')}"})
        for n in range(20)
    ]
    try:
        for buyer in buyers:
            granted = buyer.post("/wallet/grants", json={"requestToken": "start"})
            assert granted.status_code == 201, granted.text
        quiz_id = seller.post("/quizzes", json=QUIZ).json()["quizId"]
        listing = seller.post("/marketplace/listings", json={"quizId": quiz_id, "price": "60"})
        listing_id = listing.json()["listingId"]
        before = seller.get("/wallet").json()["balance"]
        start = threading.Barrier(len(buyers))

        def buy(client: httpx.Client) -> int:
            start.wait(timeout=30)
            return client.post(f"/marketplace/listings/{listing_id}/purchase").status_code

        with ThreadPoolExecutor(len(buyers)) as pool:
            statuses = list(pool.map(buy, buyers))
        assert sorted(statuses) == [200] + [409] * 19
        balances = [b.get("/wallet").json()["balance"] for b in buyers]
        assert sorted(balances) == ["140.00"] + ["200.00"] * 19
        gained = float(seller.get("/wallet").json()["balance"]) - float(before)
        assert gained == 60.0
        owners = [b for b in buyers if b.get("/quizzes/mine").json()["quizzes"]]
        assert len(owners) == 1
        assert seller.get(f"/marketplace/listings/{listing_id}").status_code == 404
    finally:
        for client in [seller, *buyers]:
            client.close()


def test_of_twenty_concurrent_buyers_exactly_one_gets_the_listing(server: str) -> None:
    twenty_buyers_race_for_one_listing(server)


def test_of_twenty_concurrent_buyers_exactly_one_gets_it_in_dynamodb(
    aws_env: dict[str, str],
) -> None:
    env = base_env(**aws_env, TRIVIA_TABLE=f"trivia-{uuid.uuid4().hex[:8]}")
    assert run_portside(env, "init-aws").returncode == 0
    process, url = start_portside(env)
    try:
        twenty_buyers_race_for_one_listing(url)
    finally:
        process.stop_gracefully()
