"""Live games: (a) answers/s through the Redis live-game store ÷ the raw Redis script call it
makes; (b) broadcast latency from an ``ask`` to the last of 200 players' ``question`` frames,
on one ``portside serve`` and across two sharing a Redis.

(a) One redis-server, one asyncio client. Each side answers a question of its own casual
game of 2,000 players, once per player (what the game allows), in blocks that alternate:
the store's ``record_answer`` (arguments, the script, its reply read into an outcome) against
``evalsha`` of the same script with the same keys and arguments. Also reported, not a
target: the answer through ``LiveGameService`` (which first reads the game to judge the
answer against its copy of the quiz).

(b) The load tool (``portside trivia players``' code) hosts a casual quiz of 100 questions
and drives it with 200 players; for each ask, the time until its last player has the
question frame. Two processes: the host on the first server, the players on the second, so
every question crosses Redis pub/sub.

    python -m bench.live [--rounds 5] [--players 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

from adapters.jwt.trivia import DevIdentityProvider
from adapters.memory.trivia import DEMO_HOST, InMemoryQuizStore, demo_quizzes
from domain.trivia.hosting import LiveGameService
from domain.trivia.live import LiveGame
from entrypoints.live_players import run_players
from tests.support.fakes import ManualClock
from tests.support.services import (
    DEV_KEY_FILE,
    LOOPBACK,
    base_env,
    start_portside,
    start_redis,
)

BLOCK = 2000  # answers per block: one game of this many players, each answering once
QUESTIONS = 100
#: Players answer after a think time drawn from this range (ms), as people do.
THINK_MS = (100, 300)


def _game(quiz_id: str = "demo-casual") -> LiveGame:
    quiz = next(q for q in demo_quizzes() if q.quiz_id == quiz_id)
    game = LiveGame.hosted(f"bench-{uuid.uuid4().hex}", quiz, DEMO_HOST, 300)
    for n in range(BLOCK):
        game.join(f"p{n}", 0)
    game.start(DEMO_HOST)
    game.ask(DEMO_HOST, int(time.time() * 1000))
    return game


async def store_ratio(rounds: int, redis_url: str) -> dict[str, float]:
    from redis.asyncio import Redis

    from adapters.redis.trivia import _ANSWER, LIVE_TTL_SECONDS, RedisLiveGameStore

    client = Redis.from_url(redis_url)
    store = RedisLiveGameStore(client)
    sha = await client.script_load(_ANSWER)
    service = LiveGameService(store, InMemoryQuizStore(demo_quizzes()), ManualClock())
    rates: dict[str, list[float]] = {"store": [], "raw": [], "service": []}
    try:
        for _ in range(rounds):
            for side in ("store", "raw", "service"):
                game = _game()
                await store.create(game)
                keys = RedisLiveGameStore._keys(game.game_id)
                now = int(time.time() * 1000)
                start = time.perf_counter()
                for n in range(BLOCK):
                    player = f"p{n}"
                    if side == "store":
                        await store.record_answer(game.game_id, player, 1, n % 2 == 0, now)
                    elif side == "raw":
                        args = [LIVE_TTL_SECONDS, player, 1, "1" if n % 2 == 0 else "0", now]
                        await client.evalsha(sha, len(keys), *keys, *args)
                    else:
                        await service.answer(player, game.game_id, 1, n % 3)
                rates[side].append(BLOCK / (time.perf_counter() - start))
                await store.delete(game.game_id)
    finally:
        await client.aclose()
    store_rate, raw_rate = statistics.median(rates["store"]), statistics.median(rates["raw"])
    service_rate = statistics.median(rates["service"])
    return {
        "store_per_s": round(store_rate),
        "raw_per_s": round(raw_rate),
        "ratio": round(store_rate / raw_rate, 3),
        "service_per_s": round(service_rate),
        "service_ratio": round(service_rate / raw_rate, 3),
    }


def bench_quiz() -> dict[str, Any]:
    return {
        "name": "Broadcast bench",
        "category": "bench",
        "mode": "casual",
        "questions": [
            {"text": f"Question {n}?", "options": ["a", "b", "c", "d"], "correct": n % 4}
            for n in range(QUESTIONS)
        ],
    }


async def broadcast(
    host_url: str, players_url: str, players: int, think_ms: tuple[int, int]
) -> dict[str, Any]:
    identity = DevIdentityProvider(DEV_KEY_FILE)
    async with httpx.AsyncClient(base_url=host_url) as http:
        headers = {"Authorization": f"Bearer {identity.issue(DEMO_HOST)}"}
        created = await http.post("/quizzes", json=bench_quiz(), headers=headers)
        created.raise_for_status()
        quiz_id = created.json()["quizId"]
    summary = await run_players(
        players_url, players, identity.issue, host_quiz=quiz_id, question_seconds=60,
        host_url=host_url, think_ms=think_ms,
    )  # fmt: skip
    return {"lastPlayerMs": summary["lastPlayerMs"], "broadcastMs": summary["broadcastMs"]}


async def run(rounds: int, players: int) -> None:
    redis = start_redis()
    redis_url = f"redis://{LOOPBACK}:{redis.port}/0"
    try:
        print("(a) Redis live-game store", await store_ratio(rounds, redis_url))
        one, url = start_portside(base_env(LOG_LEVEL="WARNING"))
        try:
            for think in ((0, 0), THINK_MS):
                print(
                    f"(b) one process, think {think} ms", await broadcast(url, url, players, think)
                )
        finally:
            one.stop()
        env = base_env(LOG_LEVEL="WARNING", REDIS_URL=redis_url)
        (first, url_one), (second, url_two) = start_portside(env), start_portside(env)
        try:
            for think in ((0, 0), THINK_MS):
                print(
                    f"(b) two processes, think {think} ms",
                    await broadcast(url_one, url_two, players, think),
                )
        finally:
            first.stop()
            second.stop()
    finally:
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--players", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.players))


if __name__ == "__main__":
    main()
