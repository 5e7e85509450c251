"""HTTP routes of the trivia context. Every route needs a bearer token; the player is who the
token says, never a body, path or query field."""

# No ``from __future__ import annotations``: FastAPI must see the route-local ``Player``
# dependency type itself, not its name.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from domain.trivia.errors import InvalidTokenError
from domain.trivia.market import Listing, coins
from domain.trivia.model import Quiz, ScoredPlay, public_questions, quiz_document
from domain.trivia.service import MarketService, TriviaService
from entrypoints.http.bodies import json_body
from entrypoints.http.errors import PROBLEM_RESPONSES
from entrypoints.http.leaderboards import page_json
from ports.trivia import TokenVerifier

_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422)
}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: PROBLEM_RESPONSES[409]}


def trivia_router(
    service: TriviaService,
    market: MarketService,
    tokens: TokenVerifier,
    jwks: Callable[[], dict[str, Any]] | None = None,
) -> APIRouter:
    """Trivia routes; with ``jwks`` (the embedded development identity provider) also
    ``/.well-known/jwks.json``."""
    router = APIRouter(tags=["trivia"], responses=_RESPONSES)

    async def player(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidTokenError("A bearer token is required (Authorization: Bearer <JWT>).")
        return await tokens.verify(token.strip())

    Player = Annotated[str, Depends(player)]

    @router.post("/quizzes", status_code=201)
    async def create_quiz(request: Request, me: Player) -> JSONResponse:
        quiz = await service.create(me, await json_body(request))
        return JSONResponse(quiz_json(quiz), 201)

    @router.get("/quizzes/mine")
    async def my_quizzes(me: Player) -> dict[str, Any]:
        return {"quizzes": [summary_json(q) for q in await service.mine(me)]}

    @router.get("/quizzes/{quiz_id}")
    async def get_quiz(quiz_id: str, me: Player) -> dict[str, Any]:
        return quiz_json(await service.owned(me, quiz_id))

    @router.put("/quizzes/{quiz_id}")
    async def put_quiz(quiz_id: str, request: Request, me: Player) -> dict[str, Any]:
        return quiz_json(await service.update(me, quiz_id, await json_body(request)))

    @router.delete("/quizzes/{quiz_id}", status_code=204)
    async def delete_quiz(quiz_id: str, me: Player) -> None:
        await service.delete(me, quiz_id)

    @router.post("/quizzes/{quiz_id}/activate")
    async def activate(quiz_id: str, me: Player) -> dict[str, Any]:
        return summary_json(await service.activate(me, quiz_id))

    @router.get("/games")
    async def games(
        _: Player,
        category: Annotated[str | None, Query(max_length=50)] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> dict[str, Any]:
        page, following = await service.games(category, cursor)
        return {"games": [game_json(q) for q in page], "cursor": following}

    @router.get("/games/{quiz_id}")
    async def game(quiz_id: str, _: Player) -> dict[str, Any]:
        quiz = await service.game(quiz_id)
        return {**game_json(quiz), "questions": public_questions(quiz)}

    @router.post("/games/{quiz_id}/answers")
    async def answers(quiz_id: str, request: Request, me: Player) -> dict[str, Any]:
        scored, recorded = await service.play(me, quiz_id, await json_body(request))
        return {**scored_json(scored), "recorded": recorded}

    @router.get("/games/{quiz_id}/leaderboard")
    async def leaderboard(quiz_id: str, me: Player) -> dict[str, Any]:
        """The quiz's top 10 (members are usernames) and the caller's own entry."""
        return page_json(await service.leaderboard(quiz_id, me))

    @router.get("/players/{username}/progress")
    async def progress(
        username: Annotated[str, Path(min_length=1, max_length=128)], _: Player
    ) -> dict[str, Any]:
        """Anyone's progress, for any authenticated player."""
        found = await service.progress(username)
        return {
            "username": found.username,
            "experience": found.experience,
            "level": found.level,
            "wins": found.wins,
        }

    @router.get("/wallet")
    async def wallet(me: Player) -> dict[str, Any]:
        return {"balance": coins(await market.balance(me))}

    @router.post("/wallet/grants", status_code=201, responses=_CONFLICT)
    async def grant(request: Request, me: Player) -> JSONResponse:
        """Today's 200 coins (once per UTC day: 409 after); a retry with the same
        ``requestToken`` replays the first answer."""
        granted = await market.grant(me, await json_body(request))
        body = {"day": granted.day, "granted": coins(granted.amount)}
        return JSONResponse({**body, "balance": coins(granted.balance)}, 201)

    @router.post("/marketplace/listings", status_code=201, responses=_CONFLICT)
    async def list_quiz(request: Request, me: Player) -> JSONResponse:
        """Sell one of your original quizzes (not a purchased copy), once."""
        listing = await market.list_quiz(me, await json_body(request))
        return JSONResponse(listing_json(listing), 201)

    @router.get("/marketplace")
    async def marketplace(
        _: Player, cursor: Annotated[str | None, Query(max_length=200)] = None
    ) -> dict[str, Any]:
        page, following = await market.listings(cursor)
        return {"listings": [listing_json(item) for item in page], "cursor": following}

    @router.get("/marketplace/listings/{listing_id}")
    async def listing(listing_id: str, _: Player) -> dict[str, Any]:
        return listing_json(await market.listing(listing_id))

    @router.delete("/marketplace/listings/{listing_id}", status_code=204)
    async def withdraw(listing_id: str, me: Player) -> None:
        """Take your listing off the marketplace."""
        await market.withdraw(me, listing_id)

    @router.post("/marketplace/listings/{listing_id}/purchase", responses=_CONFLICT)
    async def purchase(listing_id: str, me: Player) -> dict[str, Any]:
        """Buy a listing: your own playable copy of the quiz, and your balance after. 409
        when it is sold or gone, 422 when your balance is below the price."""
        copy, balance = await market.purchase(me, listing_id)
        return {"quizId": copy.quiz_id, "balance": coins(balance)}

    if jwks is not None:
        publish = jwks

        @router.get("/.well-known/jwks.json", tags=["identity"])
        async def jwks_document() -> dict[str, Any]:
            """The development identity provider's public key (embedded default only)."""
            return publish()

    return router


def quiz_json(quiz: Quiz) -> dict[str, Any]:
    """The full quiz, answers included: for its owner only."""
    return {
        "quizId": quiz.quiz_id,
        "owner": quiz.owner,
        **quiz_document(quiz.content),
        "active": quiz.active,
        "purchasedFrom": quiz.source,
    }


def summary_json(quiz: Quiz) -> dict[str, Any]:
    c = quiz.content
    return {
        "quizId": quiz.quiz_id,
        "name": c.name,
        "category": c.category,
        "mode": c.mode.value,
        "active": quiz.active,
        "questionCount": len(c.questions),
    }


def game_json(quiz: Quiz) -> dict[str, Any]:
    c = quiz.content
    return {"quizId": quiz.quiz_id, "name": c.name, "category": c.category, "author": quiz.owner}


def listing_json(listing: Listing) -> dict[str, Any]:
    return {
        "listingId": listing.listing_id,
        "quizId": listing.quiz_id,
        "price": coins(listing.price),
        "seller": listing.seller,
        "name": listing.name,
        "category": listing.category,
        "questionCount": listing.question_count,
        "listedAt": listing.listed_at,
    }


def scored_json(scored: ScoredPlay) -> dict[str, Any]:
    return {
        "score": format(scored.score, "f"),
        "correct": scored.correct,
        "total": scored.total,
        "answers": [
            {
                "questionNumber": row.number,
                "given": row.given,
                "correct": row.correct,
                "answer": row.answer,
                "followUp": row.follow_up,
            }
            for row in scored.answers
        ],
    }
