"""Requests/s of POST /games/{quizId}/answers (a 20-question quiz) vs GET /wallet, same app.

Both routes verify the same bearer token (RS256, the embedded development identity
provider) and go through the same FastAPI app; the answers route also parses 20 responses,
scores them, claims the first play and publishes two events, which the in-process bus hands
to the board and progress consumers in the same process. The ratio is the share of
throughput left after scoring and publishing. The container entry
(``entrypoints.container.asgi:app``) runs under uvicorn with one worker on the embedded
default; wrk loads each route in turn, alternating, and the ratio of medians is printed.

    python -m bench.trivia [--seconds 10] [--rounds 3] [--connections 32]
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

import httpx

from adapters.jwt.trivia import DevIdentityProvider
from bench.wrk import load_arguments, wrk
from tests.support.services import DEV_KEY_FILE, base_env, start_container

QUESTIONS = 20


def quiz() -> dict[str, object]:
    """20 questions (policy best: every play goes to the board): even ones multiple choice, odd
    ones open with an alternative."""
    questions: list[dict[str, object]] = []
    for n in range(QUESTIONS):
        if n % 2 == 0:
            question = {"options": ["a", "b", "c", "d"], "correct": n % 4}
        else:
            question = {"answer": f"answer {n}", "alternatives": [f"alt {n}"], "followUp": "So."}
        questions.append({"text": f"Question {n}?", **question})
    return {
        "name": "Bench",
        "category": "bench",
        "leaderboardPolicy": "best",
        "questions": questions,
    }


def responses() -> dict[str, object]:
    """Every question answered, two in three of them right (open ones by the alternative,
    in another case and with spaces, so matching does its work)."""
    given: list[dict[str, object]] = []
    for n in range(QUESTIONS):
        right: object = n % 4 if n % 2 == 0 else f" ALT {n} "
        given.append({"questionNumber": n + 1, "answer": right if n % 3 else "wrong"})
    return {"responses": given}


def main() -> None:
    args = load_arguments(__doc__)
    server, base = start_container(base_env(LOG_LEVEL="WARNING"))
    try:
        dev = DevIdentityProvider(DEV_KEY_FILE)  # the server's key file
        author = {"Authorization": f"Bearer {dev.issue('bench-author')}"}
        player = f"Bearer {dev.issue('bench-player')}"
        made = httpx.post(f"{base}/quizzes", json=quiz(), headers=author)
        assert made.status_code == 201, made.text
        quiz_id = made.json()["quizId"]
        httpx.post(f"{base}/quizzes/{quiz_id}/activate", headers=author).raise_for_status()
        body = json.dumps(responses())
        played = httpx.post(
            f"{base}/games/{quiz_id}/answers",
            content=body,
            headers={"Authorization": player, "Content-Type": "application/json"},
        )
        assert played.status_code == 200, played.text
        assert played.json()["total"] == QUESTIONS
        score = played.json()["score"]
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "answers.lua"
            script.write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(body)}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["Authorization"] = "{player}"\n'
            )
            answers = ("-s", str(script))
            wallet = ("-H", f"Authorization: {player}")
            answers_url, wallet_url = f"{base}/games/{quiz_id}/answers", f"{base}/wallet"
            wrk(answers_url, 2, args.connections, *answers)  # warm-up, not counted
            wrk(wallet_url, 2, args.connections, *wallet)
            answers_rps, wallet_rps = [], []
            for _ in range(args.rounds):
                wallet_rps.append(wrk(wallet_url, args.seconds, args.connections, *wallet))
                answers_rps.append(wrk(answers_url, args.seconds, args.connections, *answers))
        progress = httpx.get(f"{base}/players/bench-player/progress", headers=author).json()
    finally:
        server.stop()

    a, w = statistics.median(answers_rps), statistics.median(wallet_rps)
    load = f"wrk -t1 -c{args.connections}, {args.seconds} s x {args.rounds} rounds, alternating"
    print(f"quiz of {QUESTIONS} questions, score {score}; uvicorn 1 worker; {load}")
    print(f"  POST /games/{{id}}/answers: {[round(x) for x in answers_rps]} req/s")
    print(f"  GET /wallet (trivial, authenticated): {[round(x) for x in wallet_rps]} req/s")
    print(f"  ratio = {a:.0f} / {w:.0f} = {a / w:.2f}")
    # Every play was consumed: experience = correct answers per recorded play.
    print(f"  plays consumed by the progress consumer: experience {progress['experience']:,}")


if __name__ == "__main__":
    main()
